package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

@Service
@Command(scope = "dsi", name = "cluster", description = "This node's role in the cluster: SnID, connection, policy version, queued alarms; on a Security Server its standing (active or standby), lease and store")
public class ClusterCommand extends ClusterCommandSupport {

    @Override
    public Object execute() {
        ShellTable t = new ShellTable();
        t.column("Property");
        t.column("Value");
        if (securityServer != null) {
            var s = securityServer.status();
            t.addRow().addContent("role", s.role());
            t.addRow().addContent("cluster", s.cluster());
            t.addRow().addContent("snid", s.snid());
            t.addRow().addContent("scc", s.sccAddress());
            t.addRow().addContent("join endpoint", s.joinAddress());
            t.addRow().addContent("root fingerprint", s.rootFingerprint());
            t.addRow().addContent("policy version", s.policyVersion());
            t.addRow().addContent("connected nodes", s.connectedNodes() + " of " + s.knownNodes());
            t.addRow().addContent("open alarms", s.openAlarms());
            var lease = securityServer.lease();
            var store = securityServer.storeHealth();
            if (lease != org.opendsi.ss.LeaseStatus.SOLE) {
                t.addRow().addContent("standing", lease.active() ? "active" : "standby");
                t.addRow().addContent("lease holder", lease.describeHolder());
                t.addRow().addContent("lease epoch", lease.epoch());
                t.addRow().addContent("lease expires", lease.expiresAt() == null ? "-" : lease.expiresAt().toString());
                t.addRow().addContent("servers", servers(securityServer.servers()));
            }
            t.addRow().addContent("store", store.kind() + (store.location().isEmpty() ? "" : " " + store.location())
                    + (store.schemaVersion().isEmpty() ? "" : " (schema " + store.schemaVersion() + ")"));
            t.addRow().addContent("store health", store.reachable() ? "OK" : "UNREACHABLE: " + store.error());
        } else if (securityManager != null) {
            var s = securityManager.status();
            t.addRow().addContent("role", s.role());
            t.addRow().addContent("cluster", s.cluster());
            t.addRow().addContent("snid", Integer.toUnsignedString(s.snid()));
            t.addRow().addContent("name", s.name());
            t.addRow().addContent("joined", s.joined());
            t.addRow().addContent("security server", s.ssAddress());
            t.addRow().addContent("connection", s.connection());
            t.addRow().addContent("signed policy version", s.signedVersion());
            t.addRow().addContent("policy version", s.policyVersion());
            t.addRow().addContent("queued alarms", s.queuedAlarms());
            t.addRow().addContent("dropped alarms", s.droppedAlarms());
            t.addRow().addContent("certificate expiry", s.certExpiry() == null ? "-" : s.certExpiry().toString());
            t.addRow().addContent("last error", s.lastError() == null ? "" : s.lastError());
        } else {
            throw new IllegalStateException("neither the Security Server nor the Security Manager runs on this node "
                    + "(see role in etc/org.opendsi.node.cfg and the log)");
        }
        print(t);
        return null;
    }

    /** "ss1 (SnID 1) live, ss2 (SnID 9) silent since ..." */
    private static String servers(java.util.List<org.opendsi.ss.ServerPeer> servers) {
        if (servers.isEmpty()) {
            return "-";
        }
        return servers.stream().map(p -> p.name() + " (SnID " + Integer.toUnsignedString(p.snid()) + ") "
                + (p.live() ? "live" : "silent since " + p.reportedAt())).collect(java.util.stream.Collectors.joining(", "));
    }
}
