package org.opendsi.shell.policy;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;

/** Asks the current policy for one decision: may subject (SSID, SNID) exercise PERMISSION on TSID. */
@Service
@Command(scope = "dsi", name = "check", description = "Decide: may subject ScID on node SnID exercise a permission on target ScID")
public class CheckCommand extends PolicyCommandSupport {

    @Argument(index = 0, name = "ssid", description = "Subject (source) ScID", required = true)
    @Completion(ScIdCompleter.class)
    String ssid;

    @Argument(index = 1, name = "snid", description = "Subject (source) SnID", required = true)
    @Completion(SnIdCompleter.class)
    String snid;

    @Argument(index = 2, name = "tsid", description = "Target ScID", required = true)
    @Completion(ScIdCompleter.class)
    String tsid;

    @Argument(index = 3, name = "permission", description = "create, bind, connect, send, receive, transition or raw", required = true)
    @Completion(PermissionCompleter.class)
    String permission;

    @Override
    public Object execute() {
        int s = SecurityIds.parse("ScID", ssid);
        int n = SecurityIds.parse("SnID", snid);
        int t = SecurityIds.parse("ScID", tsid);
        Permission p = Permission.parse(permission);
        Decision d = policyService.decide(s, n, t, p);
        out().println(d.verdict() + " " + SecurityIds.format(s) + "@" + SecurityIds.format(n) + " -> "
                + SecurityIds.format(t) + " " + p.xmlName() + ": " + describeRule(d));
        return null;
    }

    static String describeRule(Decision d) {
        if (d.ruleId() == 0) {
            return d.ruleLabel() + " (rule 0)";
        }
        String label = d.ruleLabel();
        // labels from a policy with its source already name the line; tables alone do not
        boolean hasLine = d.ruleLine() <= 0 || label.contains("(line ");
        return "rule " + d.ruleId() + " " + label + (hasLine ? "" : " (line " + d.ruleLine() + ")");
    }
}
