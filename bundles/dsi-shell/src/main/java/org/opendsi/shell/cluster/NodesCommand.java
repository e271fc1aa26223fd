package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.ss.NodeRecord;

@Service
@Command(scope = "dsi", name = "nodes", description = "List the cluster's nodes: state, policy version acked, heartbeat, certificate expiry (Security Server)")
public class NodesCommand extends ClusterCommandSupport {

    @Override
    public Object execute() {
        var ss = requireServer("dsi:nodes");
        ShellTable t = new ShellTable();
        t.column("SnID");
        t.column("Name");
        t.column("Address");
        t.column("State");
        t.column("Policy");
        t.column("Last heartbeat");
        t.column("Cert expiry");
        t.column("Error");
        for (NodeRecord r : ss.nodes()) {
            t.addRow().addContent(Integer.toUnsignedString(r.snid()), r.name(), r.address(), r.state(), r.ackedVersion(),
                    r.lastHeartbeat() == null ? "-" : r.lastHeartbeat().toString(),
                    r.certExpiry() == null ? "-" : r.certExpiry().toString(), r.ackError() == null ? "" : r.ackError());
        }
        print(t);
        return null;
    }
}
