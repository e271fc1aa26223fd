package org.opendsi.shell.policy;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicySummary;

/** Shared plumbing of the policy commands: the PolicyService reference and output helpers. */
public abstract class PolicyCommandSupport implements Action {

    @Reference
    protected PolicyService policyService;

    /** Present only on a Security Manager (role = manager), whose policy comes from the Security Server. */
    @Reference(optional = true)
    protected org.opendsi.sm.SecurityManagerService securityManager;

    /** Present on a Security Server (role = server or embedded): active, or a standby that refuses changes. */
    @Reference(optional = true)
    protected org.opendsi.ss.SecurityServer securityServer;

    @Option(name = "--no-format", description = "Print tables without borders, for scripts")
    protected boolean noFormat;

    protected PrintStream out() {
        return System.out;
    }

    protected void print(ShellTable table) {
        table.print(out(), !noFormat);
    }

    /** Operators give paths relative to where they started Karaf; make them absolute for messages. */
    protected static Path resolve(String file) {
        return Paths.get(file).toAbsolutePath().normalize();
    }

    protected void printErrors(java.util.List<PolicyError> errors) {
        for (PolicyError e : errors) {
            out().println(e);
        }
    }

    /** Prints the located errors and fails the command, so `bin/client` scripts see the failure. */
    protected Object reject(PolicyException e, String what) {
        printErrors(e.errors());
        throw new IllegalStateException(what + " rejected with " + e.errors().size()
                + " error(s); the running policy is unchanged");
    }

    /** Refuses a local policy change on a Security Manager: its policy comes signed from the Security Server. */
    protected void refuseOnManager(String command) {
        if (securityManager != null) {
            throw new IllegalStateException(command + " refused: this node is a Security Manager (role = manager); its "
                    + "policy comes signed from the Security Server " + securityManager.status().ssAddress()
                    + ". Run " + command + " there.");
        }
    }

    protected void printSummary(PolicySummary s) {
        ShellTable t = new ShellTable();
        t.column("Property");
        t.column("Value");
        t.addRow().addContent("name", s.name());
        t.addRow().addContent("contexts", s.contexts());
        t.addRow().addContent("nodes", s.nodes());
        t.addRow().addContent("zones", s.zones());
        t.addRow().addContent("rules", s.rules());
        t.addRow().addContent("socket labels", s.socketLabels());
        t.addRow().addContent("transitions", s.transitions());
        t.addRow().addContent("external rules", s.netRules());
        t.addRow().addContent("table entries", s.tableEntries());
        t.addRow().addContent("digest", s.digest());
        print(t);
    }

    /** Refuses a policy change on a standby Security Server, naming the active one. */
    protected void refuseOnStandby(String command) {
        if (securityServer != null && !securityServer.lease().active()) {
            throw new org.opendsi.ss.NotActiveException(command + " refused", securityServer.lease());
        }
    }

    /**
     * Reports the version as current only once the Security Server stored and signed it for the cluster; fails
     * the command with the reason otherwise (e.g. it lost its lease meanwhile).
     */
    protected void awaitDistribution(long version) {
        if (securityServer == null) {
            return;
        }
        try {
            securityServer.awaitPublished(version, java.time.Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while policy version " + version + " was being distributed");
        }
    }
}
