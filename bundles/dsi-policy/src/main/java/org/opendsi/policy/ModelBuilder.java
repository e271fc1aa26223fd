package org.opendsi.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.policy.DspParser.Errors;
import org.opendsi.policy.DspParser.RawDocument;
import org.opendsi.policy.DspParser.RawElement;
import org.opendsi.policy.PolicyModel.Loc;

/**
 * Second pass over the schema-checked elements: converts values, checks ranges, references and
 * duplicates, and assigns rule ids. Values the schema already rejected lexically are skipped
 * silently (the schema error names them); anything else wrong is reported here.
 */
final class ModelBuilder {

    private static final int SOCKET_PERMS = Permission.allMask() & ~Permission.TRANSITION.mask()
            & ~Permission.RAW.mask();
    private static final java.util.regex.Pattern WS = java.util.regex.Pattern.compile("\\s+");
    private static final int EXTERNAL_PERMS = Permission.CONNECT.mask() | Permission.SEND.mask();

    private final String file;
    private final RawDocument raw;
    private final Errors errors;
    /** Set when a value was dropped without an error of our own (the schema should have reported it). */
    private Loc suppressed;

    ModelBuilder(String file, RawDocument raw, Errors errors) {
        this.file = file;
        this.raw = raw;
        this.errors = errors;
    }

    /** Element draft carrying the optional explicit rule id until ids are assigned. */
    private record Draft(RawElement el, Integer explicitId, String name) {
    }

    PolicyModel build() {
        String name = "";
        boolean defaultAllow = false;
        boolean externalAllow = true;
        Map<Integer, PolicyModel.Context> contexts = new HashMap<>();
        List<PolicyModel.Context> contextList = new ArrayList<>();
        Map<Integer, PolicyModel.Node> nodes = new HashMap<>();
        List<PolicyModel.Node> nodeList = new ArrayList<>();
        Map<String, Loc> contextNames = new HashMap<>();
        Map<String, Loc> nodeNames = new HashMap<>();
        Map<Integer, Loc> nodeAddresses = new HashMap<>();
        List<RawElement> ruleElements = new ArrayList<>();
        boolean sawRoot = false;

        // pass 1: root, defaults, declarations (so rules may reference contexts declared later)
        for (RawElement e : raw.elements()) {
            switch (e.name()) {
                case "dsp" -> {
                    if (!e.parent().isEmpty()) {
                        break;
                    }
                    sawRoot = true;
                    String n = e.attr("name");
                    name = n == null ? "" : n;
                }
                case "default" -> {
                    if (!e.parent().equals("dsp")) {
                        break;
                    }
                    defaultAllow = "allow".equals(trim(e.attr("decision")));
                    externalAllow = !"deny".equals(trim(e.attr("external")));
                }
                case "context" -> {
                    if (!e.parent().equals("contexts")) {
                        break;
                    }
                    Integer scid = id(e, "scid", "ScID");
                    String n = e.attr("name");
                    boolean audit = "audit".equals(trim(e.attr("mode")));
                    if (scid == null) {
                        break;
                    }
                    if (scid == SecurityIds.UNLABELED) {
                        errors.add(e.loc(), "ScID 0 is the implicit unlabeled context and cannot be declared;"
                                + " expected a ScID in 1.." + SecurityIds.MAX_ID);
                        break;
                    }
                    PolicyModel.Context prev = contexts.get(scid);
                    if (prev != null) {
                        errors.add(e.loc(), "duplicate context ScID " + Integer.toUnsignedString(scid)
                                + " (first declared at " + prev.loc() + ")");
                        break;
                    }
                    if (n != null) {
                        Loc first = contextNames.putIfAbsent(n, e.loc());
                        if (first != null) {
                            errors.add(e.loc(), "duplicate context name '" + n + "' (first declared at " + first
                                    + ")");
                        }
                    }
                    PolicyModel.Context c = new PolicyModel.Context(scid, n == null ? Integer.toUnsignedString(scid)
                            : n, audit, e.loc());
                    contexts.put(scid, c);
                    contextList.add(c);
                }
                case "node" -> {
                    if (!e.parent().equals("nodes")) {
                        break;
                    }
                    Integer snid = id(e, "snid", "SnID");
                    String n = e.attr("name");
                    String addrText = trim(e.attr("address"));
                    Integer addr = null;
                    if (addrText != null) {
                        try {
                            addr = Ipv4.parse(addrText);
                        } catch (IllegalArgumentException ex) {
                            errors.add(e.loc(), "attribute address: " + ex.getMessage());
                        }
                    }
                    if (snid == null) {
                        break;
                    }
                    if (snid == SecurityIds.UNLABELED) {
                        errors.add(e.loc(), "SnID 0 is reserved for unlabeled packets and cannot be declared;"
                                + " expected a SnID in 1.." + SecurityIds.MAX_SNID);
                        break;
                    }
                    if (Integer.compareUnsigned(snid, SecurityIds.MAX_SNID) > 0) {
                        errors.add(e.loc(), "SnID " + Integer.toUnsignedString(snid) + " cannot be declared: the kernel"
                                + " DSM's label carries 16-bit SnIDs; expected a SnID in 1.." + SecurityIds.MAX_SNID);
                        break;
                    }
                    PolicyModel.Node prev = nodes.get(snid);
                    if (prev != null) {
                        errors.add(e.loc(), "duplicate node SnID " + Integer.toUnsignedString(snid)
                                + " (first declared at " + prev.loc() + ")");
                        break;
                    }
                    if (n != null) {
                        Loc first = nodeNames.putIfAbsent(n, e.loc());
                        if (first != null) {
                            errors.add(e.loc(), "duplicate node name '" + n + "' (first declared at " + first + ")");
                        }
                    }
                    if (addr != null) {
                        Loc first = nodeAddresses.putIfAbsent(addr, e.loc());
                        if (first != null) {
                            errors.add(e.loc(), "duplicate node address " + Ipv4.format(addr)
                                    + " (first declared at " + first + ")");
                        }
                    }
                    PolicyModel.Node node = new PolicyModel.Node(snid, n == null ? Integer.toUnsignedString(snid) : n,
                            addr == null ? 0 : addr, java.util.Set.of("true", "1").contains(trim(e.attr("compromised"))), e.loc());
                    nodes.put(snid, node);
                    nodeList.add(node);
                }
                case "socket" -> {
                    if (e.parent().equals("socket-labels")) {
                        ruleElements.add(e);
                    }
                }
                case "allow", "deny", "transition", "external" -> {
                    if (e.parent().equals("rules")) {
                        ruleElements.add(e);
                    }
                }
                case "zone", "admin-zone" -> {
                    if (e.parent().equals("zones")) {
                        ruleElements.add(e);
                    }
                }
                default -> {
                    // sections (nodes, contexts, ...) carry nothing; unknown names were reported by the schema
                }
            }
        }
        if (!sawRoot) {
            errors.add(1, 1, "expected root element <dsp xmlns=\"" + DspParser.NAMESPACE + "\">");
        }

        // pass 2: explicit rule ids
        List<Draft> drafts = new ArrayList<>(ruleElements.size());
        Map<Integer, Loc> explicitIds = new HashMap<>();
        for (RawElement e : ruleElements) {
            Integer explicit = null;
            String idText = trim(e.attr("id"));
            if (idText != null) {
                Long v = number(idText);
                if (v == null) {
                    suppress(e.loc());
                } else if (v < 1 || v > Integer.MAX_VALUE) {
                    errors.add(e.loc(), "attribute id: rule id " + idText + " is out of range; expected 1.."
                            + Integer.MAX_VALUE);
                } else {
                    explicit = (int) (long) v;
                    Loc first = explicitIds.putIfAbsent(explicit, e.loc());
                    if (first != null) {
                        errors.add(e.loc(), "duplicate rule id " + explicit + " (first used at " + first + ")");
                    }
                }
            }
            String n = e.attr("name");
            drafts.add(new Draft(e, explicit, n));
        }

        // pass 3: rules, with ids assigned in document order
        int nextAuto = 1;
        List<PolicyModel.SocketLabel> sockets = new ArrayList<>();
        List<PolicyModel.AccessRule> access = new ArrayList<>();
        List<PolicyModel.TransitionRule> transitions = new ArrayList<>();
        List<PolicyModel.ExternalRule> externals = new ArrayList<>();
        List<PolicyModel.Zone> zones = new ArrayList<>();
        Map<Long, Loc> socketKeys = new HashMap<>();
        Map<Long, Loc> transitionKeys = new HashMap<>();
        Map<String, Loc> externalKeys = new HashMap<>();
        Map<String, Loc> zoneNames = new HashMap<>();
        Map<Integer, Loc> zoneMembers = new HashMap<>();
        for (Draft d : drafts) {
            int ruleId;
            if (d.explicitId() != null) {
                ruleId = d.explicitId();
            } else {
                while (explicitIds.containsKey(nextAuto)) {
                    nextAuto++;
                }
                ruleId = nextAuto++;
            }
            RawElement e = d.el();
            switch (e.name()) {
                case "socket" -> {
                    String proto = trim(e.attr("protocol"));
                    int protocol = "tcp".equals(proto) ? 6 : "udp".equals(proto) ? 17 : -1;
                    Integer port = port(e);
                    Integer scid = contextRef(e, "scid", contexts, false);
                    int snid = SecurityIds.ANY;
                    if (e.attr("node") != null) {
                        Integer n = nodeRef(e, "node", e.attr("node"), nodes);
                        if (n == null) {
                            break;
                        }
                        snid = n;
                    }
                    if (protocol < 0) {
                        suppress(e.loc());
                        break;
                    }
                    if (port == null || scid == null) {
                        break;
                    }
                    long key = ((long) protocol << 48) | ((long) port << 32) | Integer.toUnsignedLong(snid);
                    Loc first = socketKeys.putIfAbsent(key, e.loc());
                    if (first != null) {
                        errors.add(e.loc(), "duplicate socket label " + proto + "/" + port + " on "
                                + (snid == SecurityIds.ANY ? "every node" : "node " + Integer.toUnsignedString(snid))
                                + " (first labeled at " + first + ")");
                        break;
                    }
                    sockets.add(new PolicyModel.SocketLabel(ruleId, d.name(), protocol, port, snid, scid, e.loc()));
                }
                case "allow", "deny" -> {
                    Integer s = contextRef(e, "source", contexts, true);
                    Integer t = contextRef(e, "target", contexts, true);
                    // "all" in an allow leaves raw out (granted by name only); a deny of "all" denies it too
                    Integer perms = permissions(e, e.name().equals("allow")
                            ? Permission.allMask() & ~Permission.RAW.mask() : Permission.allMask(), Permission.allMask());
                    List<Integer> srcNodes = List.of();
                    String sn = e.attr("source-nodes");
                    if (sn != null) {
                        srcNodes = nodeList(e, sn, nodes);
                        if (srcNodes == null) {
                            break;
                        }
                    }
                    if (s == null || t == null || perms == null) {
                        break;
                    }
                    access.add(new PolicyModel.AccessRule(ruleId, d.name(), e.name().equals("allow"), s, t, perms,
                            srcNodes, e.loc()));
                }
                case "transition" -> {
                    Integer parent = contextRef(e, "parent", contexts, true);
                    Integer binary = contextRef(e, "binary", contexts, false);
                    Integer nw = contextRef(e, "new", contexts, false);
                    if (parent == null || binary == null || nw == null) {
                        break;
                    }
                    long key = ((long) parent << 32) | Integer.toUnsignedLong(binary);
                    Loc first = transitionKeys.putIfAbsent(key, e.loc());
                    if (first != null) {
                        errors.add(e.loc(), "duplicate transition for parent " + Integer.toUnsignedString(parent)
                                + " and binary " + Integer.toUnsignedString(binary) + " (first at " + first
                                + "); a (parent, binary) pair may lead to one context only");
                        break;
                    }
                    transitions.add(new PolicyModel.TransitionRule(ruleId, d.name(), parent, binary, nw, e.loc()));
                }
                case "external" -> {
                    String sc = trim(e.attr("scid"));
                    Integer scid = "*".equals(sc) ? Integer.valueOf(SecurityIds.ANY) : contextRef(e, "scid", contexts, true);
                    String cidrText = trim(e.attr("cidr"));
                    int[] cidr = null;
                    if (cidrText != null) {
                        try {
                            cidr = Ipv4.parseCidr(cidrText);
                        } catch (IllegalArgumentException ex) {
                            errors.add(e.loc(), "attribute cidr: " + ex.getMessage());
                        }
                    }
                    String dec = trim(e.attr("decision"));
                    Integer perms = e.attr("permissions") == null ? Integer.valueOf(EXTERNAL_PERMS)
                            : permissions(e, EXTERNAL_PERMS, EXTERNAL_PERMS);
                    if (scid == null || cidr == null || perms == null) {
                        break;
                    }
                    if (!"allow".equals(dec) && !"deny".equals(dec)) {
                        suppress(e.loc());
                        break;
                    }
                    String key = SecurityIds.format(scid) + " " + Ipv4.formatCidr(cidr[0], cidr[1]);
                    Loc first = externalKeys.putIfAbsent(key, e.loc());
                    if (first != null) {
                        errors.add(e.loc(), "duplicate external rule for " + key + " (first at " + first + ")");
                        break;
                    }
                    externals.add(new PolicyModel.ExternalRule(ruleId, d.name(), scid, cidr[0], cidr[1],
                            "allow".equals(dec), perms, e.loc()));
                }
                case "zone", "admin-zone" -> {
                    String zn = e.attr("name");
                    String list = e.attr("contexts");
                    if (zn != null) {
                        Loc first = zoneNames.putIfAbsent(zn, e.loc());
                        if (first != null) {
                            errors.add(e.loc(), "duplicate zone name '" + zn + "' (first declared at " + first + ")");
                        }
                    }
                    if (zn == null || list == null) {
                        suppress(e.loc());
                        break;
                    }
                    List<Integer> members = new ArrayList<>();
                    boolean ok = true;
                    for (String tok : WS.split(list.trim())) {
                        Integer c = contextValue(e, "contexts", tok, contexts, false);
                        if (c == null) {
                            ok = false;
                            continue;
                        }
                        Loc first = zoneMembers.putIfAbsent(c, e.loc());
                        if (first != null) {
                            errors.add(e.loc(), "context " + Integer.toUnsignedString(c) + " is already a member of"
                                    + " the zone at " + first + "; a context belongs to at most one zone");
                            ok = false;
                            continue;
                        }
                        members.add(c);
                    }
                    if (ok) {
                        members.sort(Integer::compareUnsigned);
                        zones.add(new PolicyModel.Zone(ruleId, zn, e.name().equals("admin-zone"), members, e.loc()));
                    }
                }
                default -> throw new IllegalStateException(e.name());
            }
        }
        if (errors.list.isEmpty() && suppressed != null) {
            errors.add(suppressed, "invalid value (see the schema dsp-1.xsd)");
        }
        return new PolicyModel(file, name, defaultAllow, externalAllow, contextList, nodeList, sockets, access,
                transitions, externals, zones);
    }

    // ---------------------------------------------------------------- value helpers

    private void suppress(Loc loc) {
        if (suppressed == null) {
            suppressed = loc;
        }
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }

    /** Digits (with an optional leading '+', as xs:integer allows) -> value, capped; null when not a number. */
    private static Long number(String text) {
        String t = text.trim();
        int i = t.startsWith("+") ? 1 : 0;
        if (i == t.length()) {
            return null;
        }
        long v = 0;
        for (; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            if (v < 1_000_000_000_000L) {
                v = v * 10 + (c - '0');
            }
        }
        return v;
    }

    private Integer idValue(RawElement e, String attr, String kind, String text) {
        Long v = number(text);
        if (v == null) {
            suppress(e.loc());
            return null;
        }
        if (v > SecurityIds.MAX_ID) {
            errors.add(e.loc(), "attribute " + attr + ": " + kind + " " + text.trim() + " is out of range; expected 0.."
                    + SecurityIds.MAX_ID);
            return null;
        }
        return (int) (long) v;
    }

    private Integer id(RawElement e, String attr, String kind) {
        String text = e.attr(attr);
        if (text == null) {
            suppress(e.loc());
            return null;
        }
        return idValue(e, attr, kind, text);
    }

    private Integer port(RawElement e) {
        String text = trim(e.attr("port"));
        if (text == null) {
            suppress(e.loc());
            return null;
        }
        String t = text.startsWith("-") ? text.substring(1) : text;
        Long v = number(t);
        if (v == null) {
            suppress(e.loc());
            return null;
        }
        if (text.startsWith("-") || v < 1 || v > 65535) {
            errors.add(e.loc(), "attribute port: port " + text + " is out of range; expected 1..65535");
            return null;
        }
        return (int) (long) v;
    }

    private Integer contextRef(RawElement e, String attr, Map<Integer, PolicyModel.Context> contexts,
                               boolean unlabeledOk) {
        String text = e.attr(attr);
        if (text == null) {
            suppress(e.loc());
            return null;
        }
        return contextValue(e, attr, text, contexts, unlabeledOk);
    }

    private Integer contextValue(RawElement e, String attr, String text, Map<Integer, PolicyModel.Context> contexts,
                                 boolean unlabeledOk) {
        Integer v = idValue(e, attr, "ScID", text);
        if (v == null) {
            return null;
        }
        if (v == SecurityIds.UNLABELED) {
            if (unlabeledOk) {
                return v;
            }
            errors.add(e.loc(), "attribute " + attr + ": ScID 0 (unlabeled) cannot be used here; expected a declared"
                    + " context");
            return null;
        }
        if (!contexts.containsKey(v)) {
            errors.add(e.loc(), "attribute " + attr + ": undefined ScID " + Integer.toUnsignedString(v)
                    + "; expected a context declared in <contexts>" + (unlabeledOk ? " or 0 (unlabeled)" : ""));
            return null;
        }
        return v;
    }

    private Integer nodeRef(RawElement e, String attr, String text, Map<Integer, PolicyModel.Node> nodes) {
        Integer v = idValue(e, attr, "SnID", text);
        if (v == null) {
            return null;
        }
        if (!nodes.containsKey(v)) {
            errors.add(e.loc(), "attribute " + attr + ": undefined SnID " + Integer.toUnsignedString(v)
                    + "; expected a node declared in <nodes>");
            return null;
        }
        return v;
    }

    private List<Integer> nodeList(RawElement e, String text, Map<Integer, PolicyModel.Node> nodes) {
        Set<Integer> out = new LinkedHashSet<>();
        boolean ok = true;
        String t = text.trim();
        if (t.isEmpty()) {
            suppress(e.loc());
            return null;
        }
        for (String tok : WS.split(t)) {
            Integer v = idValue(e, "source-nodes", "SnID", tok);
            if (v == null) {
                ok = false;
                continue;
            }
            if (v != SecurityIds.UNLABELED && !nodes.containsKey(v)) {
                errors.add(e.loc(), "attribute source-nodes: undefined SnID " + Integer.toUnsignedString(v)
                        + "; expected a node declared in <nodes> or 0 (unlabeled)");
                ok = false;
                continue;
            }
            if (!out.add(v)) {
                errors.add(e.loc(), "attribute source-nodes: SnID " + Integer.toUnsignedString(v) + " is listed twice");
                ok = false;
            }
        }
        if (!ok) {
            return null;
        }
        List<Integer> sorted = new ArrayList<>(out);
        sorted.sort(Integer::compareUnsigned);
        return sorted;
    }

    /** Permission list -> mask; "all" means {@code all}; each name must be one of {@code allowed}. */
    private Integer permissions(RawElement e, int all, int allowed) {
        String text = e.attr("permissions");
        if (text == null) {
            suppress(e.loc());
            return null;
        }
        String t = text.trim();
        if (t.isEmpty()) {
            suppress(e.loc());
            return null;
        }
        int mask = 0;
        boolean ok = true;
        Set<String> seen = new HashSet<>();
        for (String tok : WS.split(t)) {
            if (!seen.add(tok)) {
                errors.add(e.loc(), "attribute permissions: '" + tok + "' is listed twice");
                ok = false;
                continue;
            }
            if (tok.equals("all")) {
                mask |= all;
                continue;
            }
            Permission p;
            try {
                p = Permission.parse(tok);
            } catch (IllegalArgumentException ex) {
                errors.add(e.loc(), "attribute permissions: unknown permission '" + tok + "'; expected 'all' or any of "
                        + PolicyModel.permNames(allowed));
                ok = false;
                continue;
            }
            if (!tok.equals(p.xmlName())) {
                errors.add(e.loc(), "attribute permissions: write '" + p.xmlName() + "', not '" + tok + "'");
                ok = false;
                continue;
            }
            if ((allowed & p.mask()) == 0) {
                errors.add(e.loc(), "attribute permissions: '" + tok + "' is not allowed here; expected any of "
                        + PolicyModel.permNames(allowed));
                ok = false;
                continue;
            }
            mask |= p.mask();
        }
        return ok ? mask : null;
    }

    static int socketPerms() {
        return SOCKET_PERMS;
    }
}
