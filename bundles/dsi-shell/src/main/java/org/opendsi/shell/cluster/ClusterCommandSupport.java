package org.opendsi.shell.cluster;

import java.io.PrintStream;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.sm.SecurityManagerService;
import org.opendsi.ss.SecurityServer;

/**
 * Shared plumbing of the cluster commands: the Security Server (present in roles server/embedded)
 * and the Security Manager (role manager), both optional, and clear messages on the wrong role.
 */
public abstract class ClusterCommandSupport implements Action {

    @Reference(optional = true)
    protected SecurityServer securityServer;

    @Reference(optional = true)
    protected SecurityManagerService securityManager;

    @Option(name = "--no-format", description = "Print tables without borders, for scripts")
    protected boolean noFormat;

    protected PrintStream out() {
        return System.out;
    }

    protected void print(ShellTable table) {
        table.print(out(), !noFormat);
    }

    protected SecurityServer requireServer(String command) {
        if (securityServer != null) {
            return securityServer;
        }
        if (securityManager != null) {
            throw new IllegalStateException(command + " runs on the Security Server; this node is a Security Manager "
                    + "(role = manager) whose Security Server is " + securityManager.status().ssAddress());
        }
        throw new IllegalStateException(command + " needs the Security Server, which is not running on this node "
                + "(see role in etc/org.opendsi.node.cfg and the log)");
    }

    protected SecurityManagerService requireManager(String command) {
        if (securityManager != null) {
            return securityManager;
        }
        if (securityServer != null) {
            throw new IllegalStateException(command + " runs on a Security Manager; this node is the Security Server "
                    + "(role = " + securityServer.status().role() + "). Set role = manager in "
                    + "etc/org.opendsi.node.cfg to make it join another Security Server");
        }
        throw new IllegalStateException(command + " needs the Security Manager, which is not running on this node "
                + "(see role in etc/org.opendsi.node.cfg and the log)");
    }

    /** 90s, 15m, 1h, 2d or an ISO-8601 duration (PT1H). */
    static java.time.Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return java.time.Duration.parse(t.toUpperCase(java.util.Locale.ROOT));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> java.time.Duration.ofSeconds(n);
                case 'm' -> java.time.Duration.ofMinutes(n);
                case 'h' -> java.time.Duration.ofHours(n);
                case 'd' -> java.time.Duration.ofDays(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + s + "' is not a duration (e.g. 90s, 15m, 1h, 2d)");
        }
    }
}
