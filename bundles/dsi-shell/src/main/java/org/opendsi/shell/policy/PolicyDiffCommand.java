package org.opendsi.shell.policy;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.policy.PolicyChange;
import org.opendsi.api.policy.PolicyException;

@Service
@Command(scope = "dsi", name = "policy-diff", description = "Show what a DSP file would change in the current policy")
public class PolicyDiffCommand extends PolicyCommandSupport {

    @Argument(index = 0, name = "file", description = "DSP XML file", required = true)
    @Completion(FileCompleter.class)
    String file;

    @Override
    public Object execute() {
        List<PolicyChange> changes;
        try {
            changes = policyService.diff(resolve(file));
        } catch (PolicyException e) {
            return reject(e, "policy " + file);
        }
        if (changes.isEmpty()) {
            out().println("No differences: " + file + " decides exactly like the current policy.");
            return null;
        }
        ShellTable t = new ShellTable();
        t.column("Change");
        t.column("Table");
        t.column("Entry");
        t.column("Before");
        t.column("After");
        for (PolicyChange c : changes) {
            t.addRow().addContent(c.kind(), c.table(), c.key(), c.before(), c.after());
        }
        print(t);
        out().println(changes.size() + " change(s)");
        return null;
    }
}
