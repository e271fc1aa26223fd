package org.opendsi.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.policy.PolicyChange;
import org.opendsi.api.table.CompiledTable;

/**
 * Differences between two compiled policies, per table entry, for operators ("what would this
 * update change"). Entries are compared by what they decide (allow mask, label ScID, new ScID,
 * mode, address, action); rule ids are ignored because renumbering changes no decision.
 *
 * <p>Keys: access {@code "10@*->20"} (source ScID @ source SnID or * -> target ScID); socket-label
 * {@code "udp/8800@*"}; transition {@code "2+10"}; context {@code "10"}; node {@code "1"}; net
 * {@code "10 192.0.2.0/24"}; default {@code "decision"} and {@code "external"}. Changes are listed
 * table by table in that order, keys sorted.
 */
public final class PolicyDiffer {

    private PolicyDiffer() {
    }

    /** Changes turning before into after; before may be null (everything is ADDED). */
    public static List<PolicyChange> diff(CompiledTable before, CompiledTable after) {
        List<PolicyChange> out = new ArrayList<>();
        compare(out, "default", defaults(before), defaults(after));
        compare(out, "context", contexts(before), contexts(after));
        compare(out, "node", nodes(before), nodes(after));
        compare(out, "access", access(before), access(after));
        compare(out, "socket-label", labels(before), labels(after));
        compare(out, "transition", transitions(before), transitions(after));
        compare(out, "net", net(before), net(after));
        return out;
    }

    public static List<PolicyChange> diff(CompiledPolicy before, CompiledPolicy after) {
        return diff(before == null ? null : before.table(), after.table());
    }

    private static void compare(List<PolicyChange> out, String table, Map<String, String> a, Map<String, String> b) {
        List<PolicyChange> local = new ArrayList<>();
        for (Map.Entry<String, String> e : a.entrySet()) {
            String now = b.get(e.getKey());
            if (now == null) {
                local.add(new PolicyChange(PolicyChange.Kind.REMOVED, table, e.getKey(), e.getValue(), ""));
            } else if (!now.equals(e.getValue())) {
                local.add(new PolicyChange(PolicyChange.Kind.CHANGED, table, e.getKey(), e.getValue(), now));
            }
        }
        for (Map.Entry<String, String> e : b.entrySet()) {
            if (!a.containsKey(e.getKey())) {
                local.add(new PolicyChange(PolicyChange.Kind.ADDED, table, e.getKey(), "", e.getValue()));
            }
        }
        local.sort((x, y) -> x.key().compareTo(y.key()));
        out.addAll(local);
    }

    private static String perms(int mask) {
        if (mask == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Permission p : Permission.fromMask(mask)) {
            sb.append(sb.length() == 0 ? "" : " ").append(p.xmlName());
        }
        return sb.toString();
    }

    private static String u(int v) {
        return Integer.toUnsignedString(v);
    }

    private static Map<String, String> defaults(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            m.put("decision", "allow " + perms(t.defaultAllowMask()));
            m.put("external", "allow " + perms(t.externalAllowMask()));
        }
        return m;
    }

    private static Map<String, String> contexts(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            for (CompiledTable.Context c : t.contexts()) {
                m.put(u(c.scid()), c.audit() ? "audit" : "enforce");
            }
        }
        return m;
    }

    private static Map<String, String> nodes(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            for (CompiledTable.Node n : t.nodes()) {
                m.put(u(n.snid()), Ipv4.format(Ipv4.fromBytes(n.ipv4())));
            }
        }
        return m;
    }

    private static Map<String, String> access(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            for (CompiledTable.Access a : t.access()) {
                m.put(u(a.srcScid()) + "@" + SecurityIds.format(a.srcSnid()) + "->" + u(a.tgtScid()),
                        "allow " + perms(a.allowMask()));
            }
        }
        return m;
    }

    private static Map<String, String> labels(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            for (CompiledTable.SocketLabel l : t.socketLabels()) {
                m.put((l.protocol() == CompiledTable.PROTO_TCP ? "tcp/" : "udp/") + l.port() + "@"
                        + SecurityIds.format(l.snid()), "scid " + u(l.scid()));
            }
        }
        return m;
    }

    private static Map<String, String> transitions(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            for (CompiledTable.Transition x : t.transitions()) {
                m.put(u(x.parentScid()) + "+" + u(x.binaryScid()), "-> " + u(x.newScid()));
            }
        }
        return m;
    }

    private static Map<String, String> net(CompiledTable t) {
        Map<String, String> m = new TreeMap<>();
        if (t != null) {
            for (CompiledTable.NetRule r : t.netRules()) {
                m.put(SecurityIds.format(r.scid()) + " " + Ipv4.formatCidr(Ipv4.fromBytes(r.prefix()), r.prefixLen()),
                        (r.action() == 1 ? "allow " : "deny ") + perms(r.permMask()));
            }
        }
        return m;
    }
}
