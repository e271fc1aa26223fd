package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.opendsi.ss.CompromiseResult;

@Service
@Command(scope = "dsi", name = "compromised", description = "Declare a node compromised: revoke, disconnect, exclude it from the policy everywhere (Security Server)")
public class CompromisedCommand extends ClusterCommandSupport {

    @Argument(index = 0, name = "snid", description = "SnID of the compromised node", required = true)
    long snid;

    @Override
    public Object execute() throws Exception {
        if (snid < 1 || snid > org.opendsi.api.SecurityIds.MAX_SNID) {
            throw new IllegalArgumentException("SnID must be in 1.." + org.opendsi.api.SecurityIds.MAX_SNID);
        }
        java.time.Instant declared = java.time.Instant.now();
        CompromiseResult r = requireServer("dsi:compromised").compromised((int) snid);
        out().println("Node " + snid + " declared compromised at " + declared + ":");
        out().println("  certificates revoked: " + r.revokedCertificates() + " (revocation list pushed to every node)");
        out().println("  disconnected: " + (r.disconnected() ? "yes" : "no (was not connected)"));
        out().println(r.policyAmended() ? "  policy version " + r.policyVersion() + " marks it compromised: its labels are refused"
                : "  the policy does not name SnID " + snid + ": its labels are refused as unknown");
        out().println("  isolated by " + r.ackedBy().size() + " of " + (r.ackedBy().size() + r.pending().size())
                + " connected node(s) in " + r.isolationMillis() + " ms"
                + (r.pending().isEmpty() ? "" : "; not acked yet: " + r.pending()));
        out().println("  label keys: its pairs withdrawn from every other node; keys rotating (dsi:label-keys)");
        out().println("  CRITICAL alarm raised");
        return null;
    }
}
