package org.opendsi.shell.policy;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.opendsi.api.policy.PolicyCheck;

@Service
@Command(scope = "dsi", name = "policy-check", description = "Validate a DSP file without applying it")
public class PolicyCheckCommand extends PolicyCommandSupport {

    @Argument(index = 0, name = "file", description = "DSP XML file", required = true)
    @Completion(FileCompleter.class)
    String file;

    @Override
    public Object execute() {
        PolicyCheck check = policyService.check(resolve(file));
        if (!check.valid()) {
            printErrors(check.errors());
            throw new IllegalStateException(check.file() + " is invalid: " + check.errors().size() + " error(s)");
        }
        out().println(check.file() + " is valid");
        for (var w : check.warnings()) {
            out().println("warning: " + w);
        }
        printSummary(check.summary());
        return null;
    }
}
