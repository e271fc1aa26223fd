package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dsi", name = "token-create", description = "Create a one-time, expiring join token (Security Server)")
public class TokenCreateCommand extends ClusterCommandSupport {

    @Option(name = "--ttl", description = "How long the token stays valid (90s, 15m, 1h, 2d; default 1h)")
    String ttl = "1h";

    @Override
    public Object execute() {
        String token = requireServer("dsi:token-create").createToken(parseDuration(ttl));
        out().println(token);
        out().println("One-time join token, valid " + ttl + ". On the new node (role = manager): dsi:join "
                + "<this host>:<join.port> " + token);
        return null;
    }
}
