package org.opendsi.cluster.protocol;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.api.audit.AuditRecord;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.DenialSample;

/**
 * The denials a node's auditing journaled since the last {@link #take()}, per flow, for the Security
 * Server's view of the cluster ({@link ClusterTopics#DENIALS}). Bounded: at most {@link #MAX_FLOWS}
 * flows per interval; denials of further flows are only counted ({@link Report#unattributed()}).
 * Thread-safe: records arrive on the journal's writer thread, reports leave on the sender's.
 */
public final class DenialDigest {

    /** Flows per report: a flood of distinct flows costs one bounded message per interval. */
    public static final int MAX_FLOWS = 256;
    /** Longest text field kept (record sentence, rule, command, addresses). */
    static final int MAX_TEXT = 400;

    /** What one interval held. */
    public record Report(List<DenialFlow> flows, long unattributed) {
        public Report {
            flows = List.copyOf(flows);
        }

        public boolean isEmpty() {
            return flows.isEmpty() && unattributed == 0;
        }

        /** The same report with every flow attributed to node {@code snid}. */
        public Report attributedTo(int snid) {
            return new Report(flows.stream().map(f -> new DenialFlow(snid, f.type(), f.permission(), f.srcScid(),
                    f.srcSnid(), f.tgtScid(), f.tgtSnid(), f.ruleId(), f.ruleLabel(), f.count(), f.first(), f.last(),
                    f.latest())).toList(), unattributed);
        }
    }

    private static final class Flow {
        long count;
        Instant first;
        Instant last;
        final Deque<DenialSample> samples = new ArrayDeque<>(DenialFlow.MAX_SAMPLES);
    }

    private final Map<DenialFlow.Key, Flow> flows = new LinkedHashMap<>();
    private long unattributed;

    /** Flows are keyed with reporter 0: who reported them is the receiver's knowledge ({@link Report#attributedTo}). */
    public DenialDigest() {
    }

    /** Adds a record when it is a denial (with the rate-limited events it stands for); other records are ignored. */
    public synchronized void add(AuditRecord r) {
        if (!r.denied()) {
            return;
        }
        long n = 1 + Math.max(0, r.suppressed());
        DenialFlow.Key key = new DenialFlow.Key(0, r.type(), r.permission(), r.srcScid(), r.srcSnid(),
                r.tgtScid(), r.tgtSnid(), r.ruleId(), cut(r.ruleLabel()));
        Flow f = flows.get(key);
        if (f == null) {
            if (flows.size() >= MAX_FLOWS) {
                unattributed += n;
                return;
            }
            f = new Flow();
            f.first = r.time();
            flows.put(key, f);
        }
        f.count += n;
        f.last = r.time();
        if (f.samples.size() == DenialFlow.MAX_SAMPLES) {
            f.samples.removeFirst();
        }
        f.samples.addLast(new DenialSample(r.time(), r.seq(), r.pid(), cut(r.comm()), cut(r.protocol()),
                cut(r.srcAddr()), r.srcPort(), cut(r.dstAddr()), r.dstPort(), cut(r.text())));
    }

    /** Everything since the last call, and a fresh interval. */
    public synchronized Report take() {
        List<DenialFlow> out = new ArrayList<>(flows.size());
        flows.forEach((k, f) -> out.add(flow(k, f.count, f.first, f.last, List.copyOf(f.samples))));
        Report report = new Report(out, unattributed);
        flows.clear();
        unattributed = 0;
        return report;
    }

    public synchronized boolean isEmpty() {
        return flows.isEmpty() && unattributed == 0;
    }

    static DenialFlow flow(DenialFlow.Key k, long count, Instant first, Instant last, List<DenialSample> samples) {
        return new DenialFlow(k.reporter(), k.type(), k.permission(), k.srcScid(), k.srcSnid(), k.tgtScid(),
                k.tgtSnid(), k.ruleId(), k.ruleLabel(), count, first, last, samples);
    }

    private static String cut(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }

    // ------------------------------------------------------------------ wire

    public static JsonNode encode(Report report) {
        ObjectNode o = Json.object();
        o.put("unattributed", report.unattributed());
        ArrayNode flows = o.putArray("flows");
        for (DenialFlow f : report.flows()) {
            ObjectNode j = flows.addObject();
            j.put("type", f.type()).put("permission", f.permission())
                    .put("srcScid", f.srcScid()).put("srcSnid", f.srcSnid())
                    .put("tgtScid", f.tgtScid()).put("tgtSnid", f.tgtSnid())
                    .put("ruleId", f.ruleId()).put("ruleLabel", f.ruleLabel()).put("count", f.count());
            Json.put(j, "first", f.first());
            Json.put(j, "last", f.last());
            ArrayNode samples = j.putArray("latest");
            for (DenialSample s : f.latest()) {
                ObjectNode sj = samples.addObject();
                Json.put(sj, "time", s.time());
                sj.put("seq", s.seq()).put("pid", s.pid()).put("comm", s.comm()).put("protocol", s.protocol())
                        .put("srcAddr", s.srcAddr()).put("srcPort", s.srcPort())
                        .put("dstAddr", s.dstAddr()).put("dstPort", s.dstPort()).put("text", s.text());
            }
        }
        return o;
    }

    /**
     * A report as {@code reporter} sent it, every flow attributed to {@code reporter} (the SnID of the
     * authenticated channel it came on, whatever the sender wrote), bounded like {@link #add}.
     *
     * @throws IllegalArgumentException when it is not a report
     */
    public static Report decode(JsonNode n, int reporter) {
        JsonNode flows = n.path("flows");
        if (!flows.isArray()) {
            throw new IllegalArgumentException("a denial report has a flows array");
        }
        List<DenialFlow> out = new ArrayList<>();
        long unattributed = Math.max(0, n.path("unattributed").asLong(0));
        for (JsonNode j : flows) {
            long count = j.path("count").asLong(0);
            if (out.size() >= MAX_FLOWS) {
                unattributed += Math.max(0, count);
                continue;
            }
            if (count <= 0) {
                throw new IllegalArgumentException("a denial flow counts at least one denial");
            }
            String type = Json.text(j, "type");
            if (!AuditRecord.isDenialType(type)) {
                throw new IllegalArgumentException("'" + cut(type) + "' is not a denial type");
            }
            List<DenialSample> samples = new ArrayList<>();
            for (JsonNode s : j.path("latest")) {
                if (samples.size() == DenialFlow.MAX_SAMPLES) {
                    break;
                }
                samples.add(new DenialSample(Json.instant(s, "time"), s.path("seq").asLong(), s.path("pid").asInt(),
                        cut(s.path("comm").asText("")), cut(s.path("protocol").asText("")),
                        cut(s.path("srcAddr").asText("")), s.path("srcPort").asInt(),
                        cut(s.path("dstAddr").asText("")), s.path("dstPort").asInt(), cut(s.path("text").asText(""))));
            }
            out.add(new DenialFlow(reporter, type, cut(j.path("permission").asText("")),
                    j.path("srcScid").asInt(), j.path("srcSnid").asInt(), j.path("tgtScid").asInt(),
                    j.path("tgtSnid").asInt(), j.path("ruleId").asInt(), cut(j.path("ruleLabel").asText("")), count,
                    Json.instant(j, "first"), Json.instant(j, "last"), samples));
        }
        return new Report(out, unattributed);
    }
}
