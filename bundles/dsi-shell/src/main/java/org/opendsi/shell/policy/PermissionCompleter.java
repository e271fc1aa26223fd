package org.opendsi.shell.policy;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.opendsi.api.Permission;

@Service
public class PermissionCompleter implements Completer {
    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        for (Permission p : Permission.values()) {
            delegate.getStrings().add(p.xmlName());
        }
        return delegate.complete(session, commandLine, candidates);
    }
}
