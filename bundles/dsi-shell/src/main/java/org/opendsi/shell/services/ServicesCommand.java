package org.opendsi.shell.services;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.sm.SecurityServiceInfo;
import org.opendsi.sm.SecurityServiceRegistry;
import org.opendsi.sm.ServiceState;

@Service
@Command(scope = "dsi", name = "services", description = "List this node's security services (DSI presence"
        + " announcements): type, implementation, version, bundle (id name/version), state (ACTIVE/DEGRADED/MISSING), dependencies")
public class ServicesCommand implements Action {

    @Reference
    SecurityServiceRegistry registry;

    @Option(name = "--no-format", description = "Print tables without borders, for scripts")
    boolean noFormat;

    @Override
    public Object execute() {
        ShellTable t = new ShellTable();
        t.column("Type");
        t.column("Implementation");
        t.column("Version");
        t.column("Bundle");
        t.column("State");
        t.column("Depends on");
        for (SecurityServiceInfo s : registry.services()) {
            boolean missing = s.state() == ServiceState.MISSING;
            StringBuilder deps = new StringBuilder();
            for (String d : s.dependencies()) {
                deps.append(deps.length() == 0 ? "" : ", ").append(d)
                        .append(s.missingDependencies().contains(d) ? " (missing)" : "");
            }
            t.addRow().addContent(s.type(), missing ? "-" : s.implementation(), missing || s.version().isEmpty()
                    ? "-" : s.version(), missing ? "-" : s.bundleId() + " " + s.bundleSymbolicName() + "/" + s.bundleVersion(), s.state(),
                    deps.length() == 0 ? "-" : deps.toString());
        }
        t.print(System.out, !noFormat);
        return null;
    }
}
