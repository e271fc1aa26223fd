package org.opendsi.shell.policy;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.policy.PolicyVersion;

@Service
@Command(scope = "dsi", name = "policy-history", description = "List the policy versions kept on this node")
public class PolicyHistoryCommand extends PolicyCommandSupport {

    @Override
    public Object execute() {
        long current = policyService.current().map(PolicyVersion::version).orElse(-1L);
        ShellTable t = new ShellTable();
        t.column("Version");
        t.column("Current");
        t.column("Applied");
        t.column("Name");
        t.column("Rules");
        t.column("Digest");
        t.column("Source");
        for (PolicyVersion v : policyService.history()) {
            t.addRow().addContent(v.version(), v.version() == current ? "*" : "", v.appliedAt(), v.summary().name(),
                    v.summary().rules(), v.summary().digest().substring(0, Math.min(16, v.summary().digest().length())),
                    v.source());
        }
        print(t);
        return null;
    }
}
