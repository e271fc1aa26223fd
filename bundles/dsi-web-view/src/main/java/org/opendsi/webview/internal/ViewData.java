package org.opendsi.webview.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.policy.PolicyChange;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.policy.DspParser;
import org.opendsi.policy.PolicyDiffer;
import org.opendsi.policy.PolicyModel;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.DenialSample;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.StoredAlarm;

/**
 * The JSON documents of the view, read from the Security Server and the policy service at request
 * time. Every list is bounded (the MAX_* constants); a truncated list says so. Thread-safe: the only
 * state is the graph of the last policy version seen.
 */
final class ViewData {

    static final int MAX_NODES = 1000;
    static final int MAX_ALARMS = 200;
    static final int MAX_HISTORY = 100;
    static final int MAX_FLOWS = 500;
    static final int MAX_CONTEXTS = 200;
    static final int MAX_CHANGES = 2000;
    static final int MAX_DIFF_LINES = 4000;
    static final int DIFF_CONTEXT = 3;
    /** The permissions drawn as relations between two contexts (socket checks with a foreign target). */
    static final List<Permission> RELATION_PERMISSIONS =
            List.of(Permission.CONNECT, Permission.SEND, Permission.RECEIVE, Permission.BIND);

    private final SecurityServer ss;
    private final PolicyService policy;
    private final DspParser parser = new DspParser();
    /** The parsed current policy and its graph JSON, for the version they belong to. */
    private volatile Graph graph;

    private record Graph(long version, String digest, PolicyModel model, String json) {
    }

    ViewData(SecurityServer ss, PolicyService policy) {
        this.ss = ss;
        this.policy = policy;
    }

    // ------------------------------------------------------------------ overview

    /** Status, nodes, open alarms (newest first) and the policy history (newest first). */
    String overview() {
        ServerStatus st = ss.status();
        Json j = new Json().beginObject();
        j.name("server").beginObject()
                .field("role", st.role()).field("cluster", st.cluster()).field("snid", st.snid())
                .field("policyVersion", st.policyVersion()).field("connectedNodes", st.connectedNodes())
                .field("knownNodes", st.knownNodes()).field("openAlarms", st.openAlarms())
                .endObject();
        Optional<PolicyVersion> cur = policy.current();
        j.name("policy");
        if (cur.isPresent()) {
            version(j, cur.get());
        } else {
            j.value((String) null);
        }
        List<NodeRecord> nodes = new ArrayList<>(ss.nodes());
        // the Security Server's own node enforces too, but is no member on record: shown as a node
        // whose state is its role and whose acked version is the one it applied itself
        if (nodes.stream().noneMatch(n -> n.snid() == st.snid())) {
            java.time.Instant now = java.time.Instant.now();
            nodes.add(new NodeRecord(st.snid(), "Security Server", "", null, cur.map(PolicyVersion::version).orElse(0L),
                    null, now, null, cur.map(PolicyVersion::appliedAt).orElse(null)));
        }
        nodes.sort(Comparator.comparingInt(NodeRecord::snid));
        j.name("nodes").beginArray();
        for (NodeRecord n : nodes.subList(0, Math.min(nodes.size(), MAX_NODES))) {
            j.beginObject().field("snid", n.snid()).field("name", n.name()).field("address", n.address())
                    .field("state", n.state() == null ? st.role() : n.state().name().toLowerCase(java.util.Locale.ROOT))
                    .field("ackedVersion", n.ackedVersion()).field("ackError", n.ackError())
                    .field("lastHeartbeat", n.lastHeartbeat()).field("certExpiry", n.certExpiry())
                    .field("joinedAt", n.joinedAt()).endObject();
        }
        j.endArray().field("nodesTruncated", nodes.size() > MAX_NODES);
        List<StoredAlarm> open = new ArrayList<>();
        for (StoredAlarm a : ss.alarms()) {
            if (!a.acked()) {
                open.add(a);
            }
        }
        j.field("openAlarmCount", open.size());
        j.name("alarms").beginArray();
        for (int i = open.size() - 1, shown = 0; i >= 0 && shown < MAX_ALARMS; i--, shown++) {
            StoredAlarm s = open.get(i);
            Alarm a = s.alarm();
            j.beginObject().field("id", a.id()).field("priority", a.priority() == null ? null : a.priority().name())
                    .field("snid", a.snid()).field("node", a.node()).field("time", a.time())
                    .field("source", a.source()).field("text", a.text()).field("receivedAt", s.receivedAt())
                    .endObject();
        }
        j.endArray();
        List<PolicyVersion> history = policy.history();
        j.name("history").beginArray();
        for (int i = history.size() - 1, shown = 0; i >= 0 && shown < MAX_HISTORY; i--, shown++) {
            version(j, history.get(i));
        }
        j.endArray().field("historyTruncated", history.size() > MAX_HISTORY);
        return j.endObject().toString();
    }

    private static void version(Json j, PolicyVersion v) {
        j.beginObject().field("version", v.version()).field("appliedAt", v.appliedAt()).field("source", v.source())
                .field("name", v.summary() == null ? null : v.summary().name())
                .field("digest", v.summary() == null ? null : v.summary().digest()).endObject();
    }

    // ------------------------------------------------------------------ graph

    /** Zones, contexts, nodes and allowed relations of the current policy. */
    String graph() {
        Graph g = currentGraph();
        return g == null ? "{\"version\":0,\"contexts\":[],\"zones\":[],\"nodes\":[],\"relations\":[]}" : g.json();
    }

    /** The parsed current policy (cached per version), null when there is none or it does not parse. */
    PolicyModel currentModel() {
        Graph g = currentGraph();
        return g == null ? null : g.model();
    }

    private Graph currentGraph() {
        Optional<PolicyVersion> cur = policy.current();
        if (cur.isEmpty()) {
            return null;
        }
        PolicyVersion v = cur.get();
        String digest = v.summary() == null ? "" : v.summary().digest();
        Graph g = graph;
        if (g != null && g.version() == v.version() && g.digest().equals(digest)) {
            return g;
        }
        Optional<byte[]> src = policy.currentSource();
        if (src.isEmpty()) {
            return null;
        }
        PolicyModel m;
        try {
            m = parser.parse("policy version " + v.version(), src.get());
        } catch (PolicyException e) {
            return null;
        }
        g = new Graph(v.version(), digest, m, graphJson(v.version(), m));
        graph = g;
        return g;
    }

    private String graphJson(long version, PolicyModel m) {
        List<PolicyModel.Context> contexts = m.contexts();
        boolean truncated = contexts.size() > MAX_CONTEXTS;
        contexts = contexts.subList(0, Math.min(contexts.size(), MAX_CONTEXTS));
        Map<Integer, List<String>> zonesOf = new TreeMap<>();
        for (PolicyModel.Zone z : m.zones()) {
            for (int c : z.contexts()) {
                zonesOf.computeIfAbsent(c, k -> new ArrayList<>()).add(z.name());
            }
        }
        List<Integer> snids = new ArrayList<>();
        for (PolicyModel.Node n : m.nodes()) {
            if (!n.compromised()) {
                snids.add(n.snid());
            }
        }
        if (snids.isEmpty()) {
            for (NodeRecord n : ss.nodes()) {
                snids.add(n.snid());
            }
        }
        Json j = new Json().beginObject().field("version", version).field("name", m.name())
                .field("defaultAllow", m.defaultAllow()).field("truncated", truncated);
        j.name("contexts").beginArray();
        for (PolicyModel.Context c : contexts) {
            j.beginObject().field("scid", Integer.toUnsignedLong(c.scid())).field("name", c.name())
                    .field("audit", c.audit()).name("zones").beginArray();
            for (String z : zonesOf.getOrDefault(c.scid(), List.of())) {
                j.value(z);
            }
            j.endArray().endObject();
        }
        j.endArray();
        j.name("zones").beginArray();
        for (PolicyModel.Zone z : m.zones()) {
            j.beginObject().field("name", z.name()).field("admin", z.admin()).name("contexts").beginArray();
            for (int c : z.contexts()) {
                j.value(Integer.toUnsignedLong(c));
            }
            j.endArray().endObject();
        }
        j.endArray();
        j.name("nodes").beginArray();
        for (PolicyModel.Node n : m.nodes()) {
            j.beginObject().field("snid", n.snid()).field("name", n.name()).field("compromised", n.compromised())
                    .endObject();
        }
        j.endArray();
        j.name("relations").beginArray();
        for (PolicyModel.Context src : contexts) {
            for (PolicyModel.Context tgt : contexts) {
                if (src.scid() != tgt.scid()) {
                    relation(j, src.scid(), tgt.scid(), snids);
                }
            }
        }
        j.endArray();
        return j.endObject().toString();
    }

    /** One relation object when src may exercise at least one permission on tgt from some node. */
    private void relation(Json j, int src, int tgt, List<Integer> snids) {
        Json perms = null;
        for (Permission p : RELATION_PERMISSIONS) {
            List<Integer> from = new ArrayList<>();
            Map<String, Boolean> rules = new LinkedHashMap<>();
            for (int snid : snids) {
                Decision d = policy.decide(src, snid, tgt, p);
                if (d.allowed()) {
                    from.add(snid);
                    rules.put(d.ruleLabel(), true);
                }
            }
            if (!from.isEmpty()) {
                if (perms == null) {
                    perms = new Json().beginArray();
                }
                perms.beginObject().field("permission", p.xmlName()).field("nodes", from).name("rules").beginArray();
                for (String r : rules.keySet()) {
                    perms.value(r);
                }
                perms.endArray().endObject();
            }
        }
        if (perms != null) {
            j.beginObject().field("src", Integer.toUnsignedLong(src)).field("tgt", Integer.toUnsignedLong(tgt))
                    .name("permissions").raw(perms.endArray().toString()).endObject();
        }
    }

    // ------------------------------------------------------------------ denials

    /** The denials of the last minutes, biggest flows first. */
    String denials(int minutes, Instant now) {
        Instant since = now.minusSeconds(60L * minutes);
        List<DenialFlow> flows = ss.denials(since);
        Json j = new Json().beginObject().field("minutes", minutes).field("since", since);
        flows(j, flows);
        return j.endObject().toString();
    }

    /** A batch of denials as pushed over the event stream. */
    String denialBatch(List<DenialFlow> flows) {
        Json j = new Json().beginObject();
        flows(j, flows);
        return j.endObject().toString();
    }

    private void flows(Json j, List<DenialFlow> all) {
        List<DenialFlow> flows = new ArrayList<>(all);
        flows.sort(Comparator.comparingLong(DenialFlow::count).reversed());
        long total = 0;
        for (DenialFlow f : flows) {
            total += f.count();
        }
        PolicyModel m = currentModel();
        j.field("total", total).field("truncated", flows.size() > MAX_FLOWS).name("flows").beginArray();
        for (DenialFlow f : flows.subList(0, Math.min(flows.size(), MAX_FLOWS))) {
            j.beginObject()
                    .field("src", id(f.srcScid()) + "@" + id(f.srcSnid()))
                    .field("tgt", id(f.tgtScid()) + "@" + id(f.tgtSnid()))
                    .field("srcScid", Integer.toUnsignedLong(f.srcScid())).field("srcSnid", f.srcSnid())
                    .field("tgtScid", Integer.toUnsignedLong(f.tgtScid())).field("tgtSnid", f.tgtSnid())
                    .field("srcName", m == null ? id(f.srcScid()) : m.contextName(f.srcScid()))
                    .field("tgtName", m == null ? id(f.tgtScid()) : m.contextName(f.tgtScid()))
                    .field("reporter", f.reporter()).field("type", f.type()).field("permission", f.permission())
                    .field("ruleId", f.ruleId()).field("rule", rule(f))
                    .field("count", f.count()).field("first", f.first()).field("last", f.last());
            j.name("latest").beginArray();
            List<DenialSample> latest = f.latest();
            for (DenialSample s : latest.subList(Math.max(0, latest.size() - DenialFlow.MAX_SAMPLES), latest.size())) {
                j.beginObject().field("time", s.time()).field("seq", s.seq()).field("pid", s.pid())
                        .field("comm", s.comm()).field("protocol", s.protocol()).field("srcAddr", s.srcAddr())
                        .field("srcPort", s.srcPort()).field("dstAddr", s.dstAddr()).field("dstPort", s.dstPort())
                        .field("text", s.text()).endObject();
            }
            j.endArray().endObject();
        }
        j.endArray();
    }

    private static String rule(DenialFlow f) {
        if (f.ruleLabel() != null && !f.ruleLabel().isEmpty()) {
            return f.ruleLabel();
        }
        return f.ruleId() == 0 ? "policy default" : "rule " + f.ruleId();
    }

    private static String id(int id) {
        return Integer.toUnsignedString(id);
    }

    // ------------------------------------------------------------------ diff

    /** A version's changes against another: semantic (compiled tables) and line by line (XML). */
    String diff(long from, long to) throws NotFoundException {
        byte[] a = policy.source(from).orElseThrow(() -> new NotFoundException("policy version " + from + " is not kept"));
        byte[] b = policy.source(to).orElseThrow(() -> new NotFoundException("policy version " + to + " is not kept"));
        Json j = new Json().beginObject().field("from", from).field("to", to);
        j.name("changes");
        try {
            CompiledPolicy pa = DspCompiler.compile(parser.parse("version " + from, a));
            CompiledPolicy pb = DspCompiler.compile(parser.parse("version " + to, b));
            List<PolicyChange> changes = PolicyDiffer.diff(pa.table(), pb.table());
            j.beginArray();
            for (PolicyChange c : changes.subList(0, Math.min(changes.size(), MAX_CHANGES))) {
                j.beginObject().field("kind", c.kind().name()).field("table", c.table()).field("key", c.key())
                        .field("before", c.before()).field("after", c.after()).endObject();
            }
            j.endArray().field("changesTruncated", changes.size() > MAX_CHANGES).field("changeCount", changes.size());
        } catch (PolicyException e) {
            j.value((String) null).field("changesError", e.getMessage());
        }
        j.name("lines");
        try {
            LineDiff.Result r = LineDiff.diff(new String(a, StandardCharsets.UTF_8), new String(b, StandardCharsets.UTF_8));
            j.beginObject().field("ok", true).field("coarse", r.coarse()).field("added", r.added())
                    .field("removed", r.removed()).name("hunks");
            hunks(j, r.lines());
            j.endObject();
        } catch (LineDiff.TooLargeException e) {
            j.beginObject().field("ok", false).field("message", e.getMessage()).endObject();
        }
        return j.endObject().toString();
    }

    /** The version kept just before {@code version}, empty if none. */
    Optional<Long> previousVersion(long version) {
        long best = -1;
        for (PolicyVersion v : policy.history()) {
            if (v.version() < version && v.version() > best) {
                best = v.version();
            }
        }
        return best < 0 ? Optional.empty() : Optional.of(best);
    }

    /** Changed lines with DIFF_CONTEXT unchanged lines around them, as hunks; at most MAX_DIFF_LINES lines. */
    private static void hunks(Json j, List<LineDiff.Line> lines) {
        boolean[] keep = new boolean[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).kind() != LineDiff.Kind.SAME) {
                for (int k = Math.max(0, i - DIFF_CONTEXT); k <= Math.min(lines.size() - 1, i + DIFF_CONTEXT); k++) {
                    keep[k] = true;
                }
            }
        }
        j.beginArray();
        int emitted = 0;
        boolean open = false;
        for (int i = 0; i < lines.size() && emitted < MAX_DIFF_LINES; i++) {
            if (!keep[i]) {
                if (open) {
                    j.endArray().endObject();
                    open = false;
                }
                continue;
            }
            LineDiff.Line l = lines.get(i);
            if (!open) {
                j.beginObject().field("oldStart", l.oldLine()).field("newStart", l.newLine()).name("lines").beginArray();
                open = true;
            }
            String op = switch (l.kind()) {
                case SAME -> " ";
                case ADDED -> "+";
                case REMOVED -> "-";
            };
            j.beginObject().field("op", op).field("old", l.oldLine()).field("new", l.newLine()).field("text", l.text())
                    .endObject();
            emitted++;
        }
        if (open) {
            j.endArray().endObject();
        }
        j.endArray();
        j.field("truncated", emitted >= MAX_DIFF_LINES);
    }

    /** A requested thing that does not exist (answered 404). */
    static final class NotFoundException extends Exception {
        private static final long serialVersionUID = 1L;

        NotFoundException(String message) {
            super(message);
        }
    }
}
