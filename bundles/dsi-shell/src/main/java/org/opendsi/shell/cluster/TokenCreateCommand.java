package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dsi", name = "token-create",
        description = "Create a one-time, expiring join token for one node (Security Server)")
public class TokenCreateCommand extends ClusterCommandSupport {

    @Option(name = "--snid", required = true, description = "The SnID of the node that may join with it (1..65534)")
    int snid;

    @Option(name = "--name", description = "The node name it must join with (default: any)")
    String name = "";

    @Option(name = "--replace", description = "May replace a node of that SnID whose certificates are live "
            + "(they are revoked when the new node joins); without it such a join is refused")
    boolean replace;

    @Option(name = "--ttl", description = "How long the token stays valid (90s, 15m, 1h, 2d; default 1h)")
    String ttl = "1h";

    @Override
    public Object execute() {
        String token = requireServer("dsi:token-create").createToken(snid, name, parseDuration(ttl), replace);
        out().println(token);
        out().println("One-time join token for SnID " + snid + (name.isEmpty() ? "" : " named '" + name + "'")
                + (replace ? ", replacing the node of that SnID" : "") + ", valid " + ttl
                + ". On that node (role = manager, snid = " + snid + "): dsi:join <this host>:<join.port> " + token);
        return null;
    }
}
