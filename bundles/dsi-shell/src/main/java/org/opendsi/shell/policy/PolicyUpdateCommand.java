package org.opendsi.shell.policy;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyVersion;

/** DSI's dsiUpdatePolicy: validate, compile, version, persist and make current. */
@Service
@Command(scope = "dsi", name = "policy-update", description = "Validate, compile, version and apply a DSP file")
public class PolicyUpdateCommand extends PolicyCommandSupport {

    @Argument(index = 0, name = "file", description = "DSP XML file", required = true)
    @Completion(FileCompleter.class)
    String file;

    @Override
    public Object execute() {
        refuseOnManager("dsi:policy-update");
        refuseOnStandby("dsi:policy-update");
        PolicyVersion v;
        try {
            v = policyService.update(resolve(file));
        } catch (PolicyException e) {
            return reject(e, "policy " + file);
        }
        awaitDistribution(v.version());
        out().println("Policy version " + v.version() + " is now current (" + v.summary().name() + ", digest "
                + v.summary().digest() + ")");
        return null;
    }
}
