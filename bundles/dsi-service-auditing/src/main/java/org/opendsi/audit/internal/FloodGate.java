package org.opendsi.audit.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.opendsi.api.audit.AuditRecord;

/**
 * Keeps a flood of denials from pushing real records out of the journal. The DSM rate-limits per
 * flow including the source port, so a sender that varies its source port (or address) produces
 * many "flows". Here denials are grouped per flow without the source port: the first
 * {@code perFlow} of a flow in a window are journaled one by one, the rest are counted and
 * journaled as one record when the window ends ("and N more ... from M source ports"). Beyond
 * {@code perWindow} individual records in a window (many flows, e.g. spoofed addresses), further
 * denials are grouped per target only. Every denial is counted in some record: nothing goes
 * unrecorded or uncounted. Runs on the auditing writer thread only.
 */
final class FloodGate {

    /** Distinct source ports / addresses counted per aggregate; beyond it the text says "at least". */
    static final int DISTINCT_MAX = 1024;

    private volatile long windowMillis;
    private volatile int perFlow;
    private volatile int perWindow;
    private long windowStart = Long.MIN_VALUE;
    private int individual;
    private final Map<Object, Pending> pending = new LinkedHashMap<>();

    private record FlowKey(String type, int srcScid, int srcSnid, int tgtScid, int tgtSnid, String proto, String srcAddr,
                           String dstAddr, int dstPort) {
    }

    private record TargetKey(String type, int tgtScid, int tgtSnid, String proto, int dstPort) {
    }

    /** Counts of one key in the current window. */
    private static final class Pending {
        int written;
        long more;              // events not journaled individually, DSM-suppressed ones included
        AuditRecord last;       // the latest one not journaled
        final Set<Integer> ports = new HashSet<>();
        final Set<String> sources = new HashSet<>();
    }

    FloodGate(long windowMillis, int perFlow, int perWindow) {
        configure(windowMillis, perFlow, perWindow);
    }

    /** New limits from the next decision on; what is pending stays pending (nothing is lost). */
    void configure(long windowMillis, int perFlow, int perWindow) {
        this.windowMillis = Math.max(1, windowMillis);
        this.perFlow = Math.max(1, perFlow);
        this.perWindow = Math.max(1, perWindow);
    }

    /**
     * What to journal now for this record: itself, or nothing (counted for the aggregate), preceded
     * by the aggregates of the window that just ended.
     */
    List<AuditRecord> admit(AuditRecord r, long nowMillis) {
        List<AuditRecord> out = roll(nowMillis);
        if (!r.denied() || r.protocol().isEmpty()) {
            out.add(r);
            return out;
        }
        FlowKey fk = new FlowKey(r.type(), r.srcScid(), r.srcSnid(), r.tgtScid(), r.tgtSnid(), r.protocol(), r.srcAddr(),
                r.dstAddr(), r.dstPort());
        Pending p = pending.get(fk);
        if (p == null && individual >= perWindow) {
            // too many flows in this window: group by target
            Object tk = new TargetKey(r.type(), r.tgtScid(), r.tgtSnid(), r.protocol(), r.dstPort());
            count(pending.computeIfAbsent(tk, k -> new Pending()), r);
            return out;
        }
        if (p == null) {
            p = new Pending();
            pending.put(fk, p);
        }
        if (p.written < perFlow && individual < perWindow) {
            p.written++;
            individual++;
            out.add(r);
        } else {
            count(p, r);
        }
        return out;
    }

    /** The aggregates of a window that has ended (call when idle, so they do not wait for traffic). */
    List<AuditRecord> roll(long nowMillis) {
        List<AuditRecord> out = new ArrayList<>();
        // (the first call starts the first window: now - MIN_VALUE would overflow)
        if (windowStart != Long.MIN_VALUE && nowMillis - windowStart < windowMillis) {
            return out;
        }
        out.addAll(flush());
        windowStart = nowMillis;
        individual = 0;
        return out;
    }

    /** Every aggregate still open (at the end of a window, and before the service stops). */
    List<AuditRecord> flush() {
        List<AuditRecord> out = new ArrayList<>();
        for (Iterator<Map.Entry<Object, Pending>> it = pending.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Object, Pending> e = it.next();
            Pending p = e.getValue();
            it.remove();
            if (p.more == 0) {
                continue;
            }
            AuditRecord l = p.last;
            String what = e.getKey() instanceof TargetKey ? "denials of " + EventMapper.ctx(l.tgtScid(), l.tgtSnid())
                    + " port " + l.dstPort() + " from " + distinct(p.sources) + " source address(es)"
                    : "more of this flow";
            String text = "Flood aggregated: " + p.more + " " + what + " in " + distinct(p.ports)
                    + " source port(s) within " + windowMillis / 1000.0 + " s were not journaled one by one; the latest: "
                    + l.text();
            // suppressed = the events this record stands for besides itself, so counts add up
            out.add(new AuditRecord(0, l.time(), l.type(), l.node(), l.permission(), l.srcScid(), l.srcSnid(),
                    l.tgtScid(), l.tgtSnid(), l.ruleId(), l.ruleLine(), l.ruleLabel(), l.policyVersion(), l.pid(),
                    l.comm(), l.path(), l.protocol(), l.srcAddr(), l.srcPort(), l.dstAddr(), l.dstPort(), p.more - 1,
                    text, null, null));
        }
        return out;
    }

    /** Bounded: a flood from spoofed addresses must not grow the writer's memory without limit. */
    private static void count(Pending p, AuditRecord r) {
        p.more += 1 + Math.max(0, r.suppressed());
        p.last = r;
        if (p.ports.size() < DISTINCT_MAX) {
            p.ports.add(r.srcPort());
        }
        if (p.sources.size() < DISTINCT_MAX) {
            p.sources.add(r.srcAddr());
        }
    }

    private static String distinct(Set<?> s) {
        return s.size() >= DISTINCT_MAX ? "at least " + DISTINCT_MAX : Integer.toString(s.size());
    }
}
