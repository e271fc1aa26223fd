package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dsi", name = "join", description = "Join the cluster of a Security Server with a one-time token (Security Manager)")
public class JoinCommand extends ClusterCommandSupport {

    @Argument(index = 0, name = "server", description = "HOST:PORT of the Security Server's join endpoint (join.port, default 8844)", required = true)
    String server;

    @Argument(index = 1, name = "token", description = "Token printed by dsi:token-create on the Security Server", required = true)
    String token;

    @Override
    public Object execute() throws Exception {
        var sm = requireManager("dsi:join");
        int colon = server.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected HOST:PORT, not '" + server + "'");
        }
        int port = Integer.parseInt(server.substring(colon + 1));
        try {
            out().println(sm.join(server.substring(0, colon), port, token));
        } catch (Exception e) {
            throw new IllegalStateException("Join failed: " + e.getMessage(), e);
        }
        return null;
    }
}
