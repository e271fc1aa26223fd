package org.opendsi.policy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.table.CompiledTable;

/**
 * Compiles a {@link PolicyModel} into the decision tables of TABLE-FORMAT.md.
 *
 * <p>Access records: every allow/deny rule, every transition rule (the {@code transition} bit on
 * (parent, ANY, new)) and every zone statement contributes permission bits to a (source, target)
 * pair, either for every source node (ANY) or for listed source nodes. For each pair the compiler
 * emits the (s, ANY, t) record when node-wide contributions exist, and one (s, n, t) record per
 * listed node n that merges the node-wide contributions with those naming n. Within a record, for
 * each permission bit: an explicit deny beats any allow (rule id = the first deny in source order),
 * else an allow grants it (rule id = the first allow in source order), else the policy default
 * decides (rule id 0). An allow and a deny meeting on the same (source, source node, target,
 * permission) is a <em>warning</em>, not an error: the result is the safe one and is well defined.
 *
 * <p>Zones: members of one zone (or of one admin zone) get every socket permission (create, bind,
 * connect, send, receive) among themselves; members of two different zones are denied every
 * permission between them, explicitly, so zones stay disjoint even under default allow; members of
 * an admin zone get connect, send and receive towards every zone member, and zone members get send
 * and receive back towards the admin zone (replies).
 */
public final class DspCompiler {

    static final int SOCKET_PERMS = Permission.allMask() & ~Permission.TRANSITION.mask()
            & ~Permission.RAW.mask();
    static final int ADMIN_TO_ZONE = Permission.CONNECT.mask() | Permission.SEND.mask() | Permission.RECEIVE.mask();
    static final int ZONE_TO_ADMIN = Permission.SEND.mask() | Permission.RECEIVE.mask();
    private static final int MAX_WARNINGS = 100;
    private static final Permission[] PERMISSIONS = Permission.values();

    private DspCompiler() {
    }

    /** Parses (default limits) and compiles a file. */
    public static CompiledPolicy compile(Path file) throws PolicyException {
        return compile(new DspParser().parse(file));
    }

    /** Parses (default limits) and compiles DSP bytes. */
    public static CompiledPolicy compile(String fileName, byte[] xml) throws PolicyException {
        return compile(new DspParser().parse(fileName, xml));
    }

    /** One rule's effect on a (source, target) pair. nodes == null means every source node. */
    private record Contribution(long order, int ruleId, boolean allow, int mask, int[] nodes) {
    }

    public static CompiledPolicy compile(PolicyModel m) {
        Map<Integer, PolicyModel.Rule> byId = new HashMap<>();
        for (PolicyModel.Rule r : m.rules()) {
            byId.put(r.ruleId(), r);
        }
        Groups groups = new Groups(m.accessRules().size() + m.transitions().size() + 16);
        for (PolicyModel.AccessRule a : m.accessRules()) {
            int[] nodes = a.sourceNodes().isEmpty() ? null : a.sourceNodes().stream().mapToInt(Integer::intValue).toArray();
            add(groups, a.source(), a.target(), new Contribution(order(a.loc()), a.ruleId(), a.allow(), a.permMask(), nodes));
        }
        for (PolicyModel.TransitionRule t : m.transitions()) {
            add(groups, t.parent(), t.newScid(), new Contribution(order(t.loc()), t.ruleId(), true,
                    Permission.TRANSITION.mask(), null));
        }
        List<PolicyModel.Zone> regular = new ArrayList<>();
        List<PolicyModel.Zone> admin = new ArrayList<>();
        for (PolicyModel.Zone z : m.zones()) {
            (z.admin() ? admin : regular).add(z);
            long o = order(z.loc());
            for (int s : z.contexts()) {
                for (int t : z.contexts()) {
                    add(groups, s, t, new Contribution(o, z.ruleId(), true, SOCKET_PERMS, null));
                }
            }
        }
        for (PolicyModel.Zone a : regular) {
            for (PolicyModel.Zone b : regular) {
                if (a == b) {
                    continue;
                }
                for (int s : a.contexts()) {
                    for (int t : b.contexts()) {
                        add(groups, s, t, new Contribution(order(a.loc()), a.ruleId(), false, Permission.allMask(), null));
                    }
                }
            }
        }
        for (PolicyModel.Zone a : admin) {
            long o = order(a.loc());
            for (PolicyModel.Zone z : regular) {
                for (int s : a.contexts()) {
                    for (int t : z.contexts()) {
                        add(groups, s, t, new Contribution(o, a.ruleId(), true, ADMIN_TO_ZONE, null));
                        add(groups, t, s, new Contribution(o, a.ruleId(), true, ZONE_TO_ADMIN, null));
                    }
                }
            }
        }

        int defaultMask = m.defaultAllow() ? Permission.allMask() : 0;
        List<CompiledTable.Access> access = new ArrayList<>(groups.lists.size() + 16);
        Warnings warnings = new Warnings(m, byId);
        // visit pairs in unsigned (source, target) order so the records come out already sorted
        int pairs = groups.lists.size();
        long[] sortedKeys = new long[pairs];
        for (int gi = 0; gi < pairs; gi++) {
            sortedKeys[gi] = groups.order.get(gi) ^ Long.MIN_VALUE;
        }
        java.util.Arrays.sort(sortedKeys);
        for (int k = 0; k < pairs; k++) {
            long key = sortedKeys[k] ^ Long.MIN_VALUE;
            int gi = groups.indexOf(key);
            int s = (int) (key >>> 32);
            int t = (int) key;
            List<Contribution> cs = groups.lists.get(gi);
            if (cs.size() > 1) {
                cs.sort(Comparator.comparingLong(Contribution::order));
            }
            boolean anyWide = false;
            Set<Integer> nodes = null;
            for (Contribution c : cs) {
                if (c.nodes() == null) {
                    anyWide = true;
                } else {
                    if (nodes == null) {
                        nodes = new TreeSet<>(Integer::compareUnsigned);
                    }
                    for (int n : c.nodes()) {
                        nodes.add(n);
                    }
                }
            }
            if (anyWide) {
                access.add(record(s, SecurityIds.ANY, t, cs, defaultMask, warnings));
            }
            if (nodes != null) {
                for (int n : nodes) {
                    access.add(record(s, n, t, cs, defaultMask, warnings));
                }
            }
        }

        List<CompiledTable.Context> contexts = new ArrayList<>();
        for (PolicyModel.Context c : m.contexts()) {
            contexts.add(new CompiledTable.Context(c.scid(), c.audit() ? CompiledTable.CONTEXT_FLAG_AUDIT : 0));
        }
        List<CompiledTable.Node> nodes = new ArrayList<>();
        for (PolicyModel.Node n : m.nodes()) {
            if (!n.compromised()) {
                nodes.add(new CompiledTable.Node(n.snid(), Ipv4.toBytes(n.address())));
            }
        }
        List<CompiledTable.SocketLabel> labels = new ArrayList<>();
        for (PolicyModel.SocketLabel l : m.socketLabels()) {
            labels.add(new CompiledTable.SocketLabel(l.protocol(), l.port(), l.snid(), l.scid(), l.ruleId()));
        }
        List<CompiledTable.Transition> transitions = new ArrayList<>();
        for (PolicyModel.TransitionRule t : m.transitions()) {
            transitions.add(new CompiledTable.Transition(t.parent(), t.binary(), t.newScid(), t.ruleId()));
        }
        List<CompiledTable.NetRule> net = new ArrayList<>();
        for (PolicyModel.ExternalRule e : m.externals()) {
            net.add(new CompiledTable.NetRule(e.scid(), Ipv4.toBytes(e.prefix()), e.prefixLen(), e.allow() ? 1 : 0,
                    e.permMask(), e.ruleId()));
        }
        String canonical = PolicyCanonicalizer.canonicalForm(m);
        byte[] digest = PolicyCanonicalizer.sha256(canonical);
        int externalMask = m.externalAllow() ? Permission.CONNECT.mask() | Permission.SEND.mask() : 0;
        CompiledTable table = new CompiledTable(0, digest, defaultMask, externalMask, contexts, nodes, access, labels,
                transitions, net);

        Map<Integer, DecisionEngine.RuleRef> refs = new HashMap<>();
        for (PolicyModel.Rule r : byId.values()) {
            refs.put(r.ruleId(), new DecisionEngine.RuleRef(r.loc().line(), label(m, r)));
        }
        return new CompiledPolicy(m, table, canonical, refs, warnings.list());
    }

    private static long order(PolicyModel.Loc loc) {
        return ((long) loc.line() << 32) | loc.column();
    }

    private static void add(Groups groups, int s, int t, Contribution c) {
        groups.add(((long) s << 32) | (t & 0xFFFFFFFFL), c);
    }

    /** (source, target) -> contributions: open addressing on the packed pair, insertion ordered. */
    private static final class Groups {
        long[] keys;
        int[] slots;
        final List<Long> order = new ArrayList<>();
        final List<List<Contribution>> lists = new ArrayList<>();
        int mask;

        Groups(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
            keys = new long[cap];
            slots = new int[cap];
            mask = cap - 1;
        }

        void add(long key, Contribution c) {
            int h = (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
            while (slots[h] != 0) {
                if (keys[h] == key) {
                    lists.get(slots[h] - 1).add(c);
                    return;
                }
                h = (h + 1) & mask;
            }
            keys[h] = key;
            List<Contribution> l = new ArrayList<>(2);
            l.add(c);
            lists.add(l);
            order.add(key);
            slots[h] = lists.size();
            if (lists.size() * 2 > keys.length) {
                grow();
            }
        }

        int indexOf(long key) {
            int h = (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
            while (slots[h] != 0) {
                if (keys[h] == key) {
                    return slots[h] - 1;
                }
                h = (h + 1) & mask;
            }
            throw new IllegalStateException("no group " + key);
        }

        private void grow() {
            long[] ok = keys;
            int[] os = slots;
            keys = new long[ok.length * 2];
            slots = new int[ok.length * 2];
            mask = keys.length - 1;
            for (int i = 0; i < ok.length; i++) {
                if (os[i] != 0) {
                    int h = (int) ((ok[i] * 0x9E3779B97F4A7C15L) >>> 40) & mask;
                    while (slots[h] != 0) {
                        h = (h + 1) & mask;
                    }
                    keys[h] = ok[i];
                    slots[h] = os[i];
                }
            }
        }
    }

    private static boolean applies(Contribution c, int node) {
        if (c.nodes() == null) {
            return true;
        }
        if (node == SecurityIds.ANY) {
            return false;
        }
        for (int n : c.nodes()) {
            if (n == node) {
                return true;
            }
        }
        return false;
    }

    private static CompiledTable.Access record(int s, int n, int t, List<Contribution> cs, int defaultMask,
                                               Warnings warnings) {
        int[] allowId = new int[Permission.SLOTS];
        int[] denyId = new int[Permission.SLOTS];
        for (Contribution c : cs) {
            if (!applies(c, n)) {
                continue;
            }
            int[] ids = c.allow() ? allowId : denyId;
            int mask = c.mask();
            while (mask != 0) {
                int b = Integer.numberOfTrailingZeros(mask);
                mask &= mask - 1;
                if (ids[b] == 0) {
                    ids[b] = c.ruleId();
                }
            }
        }
        int allow = 0;
        int[] ruleIds = new int[Permission.SLOTS];
        for (Permission p : PERMISSIONS) {
            int b = p.bit();
            if (denyId[b] != 0) {
                ruleIds[b] = denyId[b];
                if (allowId[b] != 0) {
                    warnings.overlap(s, n, t, p, allowId[b], denyId[b]);
                }
            } else if (allowId[b] != 0) {
                ruleIds[b] = allowId[b];
                allow |= p.mask();
            } else {
                allow |= defaultMask & p.mask();
            }
        }
        return new CompiledTable.Access(s, n, t, allow, ruleIds);
    }

    /** Decision label of a rule: "allow phonemania->phonemania (line 23)". */
    static String label(PolicyModel m, PolicyModel.Rule r) {
        String named = r.name() != null ? " \"" + r.name() + "\"" : "";
        String at = " (line " + r.loc().line() + ")";
        if (r instanceof PolicyModel.AccessRule a) {
            String nodes = a.sourceNodes().isEmpty() ? "" : " from node" + (a.sourceNodes().size() > 1 ? "s " : " ")
                    + PolicyModel.joinIds(a.sourceNodes());
            return a.kind() + " " + m.contextName(a.source()) + "->" + m.contextName(a.target()) + nodes + named + at;
        }
        if (r instanceof PolicyModel.TransitionRule t) {
            return "transition " + m.contextName(t.parent()) + "+" + m.contextName(t.binary()) + "->"
                    + m.contextName(t.newScid()) + named + at;
        }
        if (r instanceof PolicyModel.Zone z) {
            return z.kind() + " " + z.name() + at;
        }
        if (r instanceof PolicyModel.SocketLabel l) {
            return "socket " + (l.protocol() == 6 ? "tcp/" : "udp/") + l.port() + "->" + m.contextName(l.scid()) + named
                    + at;
        }
        PolicyModel.ExternalRule e = (PolicyModel.ExternalRule) r;
        return "external " + (e.allow() ? "allow " : "deny ") + m.contextName(e.scid()) + "->"
                + Ipv4.formatCidr(e.prefix(), e.prefixLen()) + named + at;
    }

    /** Overlap warnings, one per (allow rule, deny rule) pair, capped. */
    private static final class Warnings {
        private final PolicyModel model;
        private final Map<Integer, PolicyModel.Rule> byId;
        private final Set<Long> seen = new HashSet<>();
        private final List<PolicyError> list = new ArrayList<>();
        private int dropped;

        Warnings(PolicyModel model, Map<Integer, PolicyModel.Rule> byId) {
            this.model = model;
            this.byId = byId;
        }

        void overlap(int s, int n, int t, Permission p, int allowRule, int denyRule) {
            if (!seen.add(((long) allowRule << 32) | (denyRule & 0xFFFFFFFFL))) {
                return;
            }
            if (list.size() >= MAX_WARNINGS) {
                dropped++;
                return;
            }
            PolicyModel.Rule a = byId.get(allowRule);
            PolicyModel.Rule d = byId.get(denyRule);
            list.add(new PolicyError(model.file(), a.loc().line(), a.loc().column(), "warning: " + label(model, a)
                    + " overlaps " + label(model, d) + " on " + Integer.toUnsignedString(s) + "@"
                    + SecurityIds.format(n) + "->" + Integer.toUnsignedString(t) + " " + p.xmlName()
                    + "; the explicit deny wins"));
        }

        List<PolicyError> list() {
            if (dropped > 0) {
                list.add(new PolicyError(model.file(), 1, 1, "warning: " + dropped + " more overlaps not listed"));
            }
            return List.copyOf(list);
        }
    }
}
