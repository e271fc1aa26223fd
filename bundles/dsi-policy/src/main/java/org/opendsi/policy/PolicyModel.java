package org.opendsi.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;

/**
 * A parsed and validated DSP: what the operator wrote, with rule ids resolved and every element's
 * source position. Produced by {@link DspParser}; compiled by {@link DspCompiler}. Immutable.
 *
 * <p>Every rule-like element (socket label, allow, deny, transition, external, zone, admin-zone)
 * has a rule id: the explicit {@code id} attribute, or else the next unused number in document
 * order.
 */
public final class PolicyModel {

    /** 1-based source position of an element (where its start tag ends). */
    public record Loc(int line, int column) {
        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    /** Common view of the rule-like statements. */
    public interface Rule {
        int ruleId();

        /** Optional operator-given name, may be null. */
        String name();

        Loc loc();

        /** "socket", "allow", "deny", "transition", "external", "zone" or "admin-zone". */
        String kind();
    }

    public record Context(int scid, String name, boolean audit, Loc loc) {
    }

    /**
     * A node; address is the IPv4 address as an int in network order (first octet = top byte).
     * A compromised node (declared so by the Security Server) is left out of the compiled node
     * table, so every DSM treats labels claiming its SnID as forged and drops them.
     */
    public record Node(int snid, String name, int address, boolean compromised, Loc loc) {
    }

    /** protocol is 6 (tcp) or 17 (udp); snid is {@link SecurityIds#ANY} for every node. */
    public record SocketLabel(int ruleId, String name, int protocol, int port, int snid, int scid, Loc loc)
            implements Rule {
        @Override
        public String kind() {
            return "socket";
        }
    }

    /** An allow or deny rule; sourceNodes is empty for "every node". */
    public record AccessRule(int ruleId, String name, boolean allow, int source, int target, int permMask,
                             List<Integer> sourceNodes, Loc loc) implements Rule {
        public AccessRule {
            sourceNodes = List.copyOf(sourceNodes);
        }

        @Override
        public String kind() {
            return allow ? "allow" : "deny";
        }
    }

    public record TransitionRule(int ruleId, String name, int parent, int binary, int newScid, Loc loc)
            implements Rule {
        @Override
        public String kind() {
            return "transition";
        }
    }

    /** scid is {@link SecurityIds#ANY} for "*"; prefix is an IPv4 int in network order. */
    public record ExternalRule(int ruleId, String name, int scid, int prefix, int prefixLen, boolean allow,
                               int permMask, Loc loc) implements Rule {
        @Override
        public String kind() {
            return "external";
        }
    }

    public record Zone(int ruleId, String name, boolean admin, List<Integer> contexts, Loc loc) implements Rule {
        public Zone {
            contexts = List.copyOf(contexts);
        }

        @Override
        public String kind() {
            return admin ? "admin-zone" : "zone";
        }
    }

    private final String file;
    private final String name;
    private final boolean defaultAllow;
    private final boolean externalAllow;
    private final List<Context> contexts;
    private final List<Node> nodes;
    private final List<SocketLabel> socketLabels;
    private final List<AccessRule> accessRules;
    private final List<TransitionRule> transitions;
    private final List<ExternalRule> externals;
    private final List<Zone> zones;
    private final Map<Integer, Context> contextById;

    public PolicyModel(String file, String name, boolean defaultAllow, boolean externalAllow, List<Context> contexts,
                       List<Node> nodes, List<SocketLabel> socketLabels, List<AccessRule> accessRules,
                       List<TransitionRule> transitions, List<ExternalRule> externals, List<Zone> zones) {
        this.file = file;
        this.name = name;
        this.defaultAllow = defaultAllow;
        this.externalAllow = externalAllow;
        this.contexts = List.copyOf(contexts);
        this.nodes = List.copyOf(nodes);
        this.socketLabels = List.copyOf(socketLabels);
        this.accessRules = List.copyOf(accessRules);
        this.transitions = List.copyOf(transitions);
        this.externals = List.copyOf(externals);
        this.zones = List.copyOf(zones);
        Map<Integer, Context> byId = new java.util.HashMap<>(this.contexts.size() * 2);
        for (Context c : this.contexts) {
            byId.put(c.scid(), c);
        }
        this.contextById = Collections.unmodifiableMap(byId);
    }

    public String file() {
        return file;
    }

    public String name() {
        return name;
    }

    public boolean defaultAllow() {
        return defaultAllow;
    }

    public boolean externalAllow() {
        return externalAllow;
    }

    public List<Context> contexts() {
        return contexts;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<SocketLabel> socketLabels() {
        return socketLabels;
    }

    public List<AccessRule> accessRules() {
        return accessRules;
    }

    public List<TransitionRule> transitions() {
        return transitions;
    }

    public List<ExternalRule> externals() {
        return externals;
    }

    public List<Zone> zones() {
        return zones;
    }

    /** Every rule-like statement, in source order (by line, then column). */
    public List<Rule> rules() {
        List<Rule> all = new ArrayList<>(socketLabels.size() + accessRules.size() + transitions.size()
                + externals.size() + zones.size());
        all.addAll(socketLabels);
        all.addAll(accessRules);
        all.addAll(transitions);
        all.addAll(externals);
        all.addAll(zones);
        all.sort((a, b) -> a.loc().line() != b.loc().line() ? Integer.compare(a.loc().line(), b.loc().line())
                : Integer.compare(a.loc().column(), b.loc().column()));
        return all;
    }

    /** The declared context, or null (ScID 0 is implicit and never declared). */
    public Context context(int scid) {
        return contextById.get(scid);
    }

    /** A readable name for a ScID: its declared name, "unlabeled" for 0, "*" for ANY, else the number. */
    public String contextName(int scid) {
        if (scid == SecurityIds.UNLABELED) {
            return "unlabeled";
        }
        if (scid == SecurityIds.ANY) {
            return "*";
        }
        Context c = contextById.get(scid);
        return c != null ? c.name() : Integer.toUnsignedString(scid);
    }

    /** One-line text of a rule as the operator would read it (used by RuleInfo and the shell). */
    public String describe(Rule r) {
        String id = r.name() != null ? " '" + r.name() + "'" : "";
        if (r instanceof SocketLabel s) {
            return (s.protocol() == 6 ? "tcp" : "udp") + "/" + s.port() + " on "
                    + (s.snid() == SecurityIds.ANY ? "every node" : "node " + Integer.toUnsignedString(s.snid()))
                    + " is " + contextName(s.scid()) + " (" + Integer.toUnsignedString(s.scid()) + ")" + id;
        }
        if (r instanceof AccessRule a) {
            return a.kind() + " " + Integer.toUnsignedString(a.source()) + "->" + Integer.toUnsignedString(a.target())
                    + " " + permNames(a.permMask())
                    + (a.sourceNodes().isEmpty() ? "" : " from nodes " + joinIds(a.sourceNodes())) + id;
        }
        if (r instanceof TransitionRule t) {
            return "transition " + Integer.toUnsignedString(t.parent()) + " + binary "
                    + Integer.toUnsignedString(t.binary()) + " -> " + Integer.toUnsignedString(t.newScid()) + id;
        }
        if (r instanceof ExternalRule e) {
            return "external " + SecurityIds.format(e.scid()) + " " + Ipv4.formatCidr(e.prefix(), e.prefixLen())
                    + " " + (e.allow() ? "allow" : "deny") + " " + permNames(e.permMask()) + id;
        }
        Zone z = (Zone) r;
        return z.kind() + " " + z.name() + " contexts " + joinIds(z.contexts());
    }

    static String permNames(int mask) {
        StringBuilder sb = new StringBuilder();
        for (Permission p : Permission.fromMask(mask)) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(p.xmlName());
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    static String joinIds(List<Integer> ids) {
        StringBuilder sb = new StringBuilder();
        for (int i : ids) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(Integer.toUnsignedString(i));
        }
        return sb.toString();
    }
}
