package org.opendsi.shell.policy;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyVersion;

@Service
@Command(scope = "dsi", name = "policy-rollback", description = "Make an earlier policy version current again (under a new version number)")
public class PolicyRollbackCommand extends PolicyCommandSupport {

    @Argument(index = 0, name = "version", description = "Version from dsi:policy-history", required = true)
    @Completion(PolicyVersionCompleter.class)
    long version;

    @Override
    public Object execute() {
        refuseOnManager("dsi:policy-rollback");
        refuseOnStandby("dsi:policy-rollback");
        PolicyVersion v;
        try {
            v = policyService.rollback(version);
        } catch (PolicyException e) {
            return reject(e, "rollback to " + version);
        }
        awaitDistribution(v.version());
        out().println("Rolled back to the content of version " + version + "; now current as version " + v.version()
                + " (digest " + v.summary().digest() + ")");
        return null;
    }
}
