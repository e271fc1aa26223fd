package org.opendsi.metrics.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.opendsi.api.audit.AuditRecord;

/**
 * This node's denials since the metrics started, per (type, permission, source context and node,
 * target context and node), counted from the audit records the auditing service journals, each with
 * the DSM's rate-limited events it stands for. Bounded: after {@link #MAX_SERIES} distinct flows,
 * further flows count under one series whose labels are all "other", so a flood of distinct flows
 * cannot grow the scrape without bound (and is still counted).
 */
final class DenialCounters {

    static final int MAX_SERIES = 500;
    static final Flow OTHER = new Flow("other", "other", "other", "other", "other", "other");

    record Flow(String type, String permission, String srcScid, String srcSnid, String tgtScid, String tgtSnid) {
    }

    private final Map<Flow, AtomicLong> counts = new ConcurrentHashMap<>();

    /** Called on the journal's writer thread: cheap. */
    void add(AuditRecord r) {
        if (!r.denied()) {
            return;
        }
        Flow f = new Flow(r.type(), r.permission(), Integer.toUnsignedString(r.srcScid()),
                Integer.toUnsignedString(r.srcSnid()), Integer.toUnsignedString(r.tgtScid()),
                Integer.toUnsignedString(r.tgtSnid()));
        AtomicLong c = counts.get(f);
        if (c == null) {
            c = counts.size() < MAX_SERIES ? counts.computeIfAbsent(f, k -> new AtomicLong())
                    : counts.computeIfAbsent(OTHER, k -> new AtomicLong());
        }
        c.addAndGet(1 + Math.max(0, r.suppressed()));
    }

    Map<Flow, Long> snapshot() {
        Map<Flow, Long> out = new java.util.TreeMap<>(java.util.Comparator.comparing(Flow::toString));
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
