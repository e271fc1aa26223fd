package org.opendsi.shell.policy;

import java.util.Optional;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.policy.RuleInfo;

@Service
@Command(scope = "dsi", name = "policy", description = "Show the current policy: version, digest, counts and rules")
public class PolicyShowCommand extends PolicyCommandSupport {

    @Option(name = "--summary", aliases = "-s", description = "Only version, digest and counts")
    boolean summaryOnly;

    @Override
    public Object execute() {
        Optional<PolicyVersion> current = policyService.current();
        if (current.isEmpty()) {
            out().println("No policy loaded: every access is denied. Load one with dsi:policy-update FILE.");
            return null;
        }
        PolicyVersion v = current.get();
        out().println("Policy version " + v.version() + " applied " + v.appliedAt() + " from " + v.source());
        printSummary(v.summary());
        if (!summaryOnly) {
            ShellTable t = new ShellTable();
            t.column("Rule");
            t.column("Line");
            t.column("Kind");
            t.column("Text");
            for (RuleInfo r : policyService.rules()) {
                t.addRow().addContent(r.id(), r.line(), r.kind(), r.text());
            }
            print(t);
        }
        return null;
    }
}
