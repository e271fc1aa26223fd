package org.opendsi.shell.policy;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.opendsi.api.policy.PolicyService;

/** Completes the versions kept in the node's policy history. */
@Service
public class PolicyVersionCompleter implements Completer {
    @Reference
    PolicyService policyService;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        policyService.history().forEach(v -> delegate.getStrings().add(Long.toString(v.version())));
        return delegate.complete(session, commandLine, candidates);
    }
}
