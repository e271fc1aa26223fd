package org.opendsi.audit.internal;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.opendsi.api.SecurityIds;
import org.opendsi.api.audit.AuditRecord;

/**
 * What the journal received during one interval, for the summary the auditing service forwards to
 * the Security Server: denials (with the DSM's rate-limited ones they account for), records by type,
 * and the flows denied most. Used by the writer thread only.
 */
final class AuditSummary {

    static final String SOURCE = "auditing-summary";
    private static final int TOP_FLOWS = 3;

    private final Map<String, Long> recordsByType = new TreeMap<>();
    private final Map<String, Long> denialsByFlow = new HashMap<>();
    private long denials;
    private long suppressed;
    private Instant since;

    AuditSummary(Instant since) {
        this.since = since;
    }

    void add(AuditRecord r) {
        recordsByType.merge(r.type(), 1L, Long::sum);
        if (r.denied()) {
            long n = 1 + r.suppressed();
            denials += n;
            suppressed += r.suppressed();
            denialsByFlow.merge(flow(r), n, Long::sum);
        }
    }

    boolean isEmpty() {
        return recordsByType.isEmpty();
    }

    Instant since() {
        return since;
    }

    /** The summary sentence of the interval that ends now, and a fresh interval. */
    String take(String node, Instant now) {
        StringBuilder sb = new StringBuilder("Audit summary of node ").append(node).append(", ")
                .append(since.truncatedTo(ChronoUnit.SECONDS)).append(" to ").append(now.truncatedTo(ChronoUnit.SECONDS))
                .append(": ").append(denials).append(denials == 1 ? " denial" : " denials");
        if (suppressed > 0) {
            sb.append(" (").append(suppressed).append(" of them rate-limited by the DSM)");
        }
        sb.append("; records");
        recordsByType.forEach((t, n) -> sb.append(' ').append(t).append(' ').append(n));
        if (!denialsByFlow.isEmpty()) {
            List<Map.Entry<String, Long>> top = new ArrayList<>(denialsByFlow.entrySet());
            top.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
            sb.append("; most denied:");
            for (int i = 0; i < Math.min(TOP_FLOWS, top.size()); i++) {
                sb.append(i == 0 ? " " : ", ").append(top.get(i).getKey()).append(" (").append(top.get(i).getValue()).append(')');
            }
        }
        recordsByType.clear();
        denialsByFlow.clear();
        denials = 0;
        suppressed = 0;
        since = now;
        return sb.toString();
    }

    private static String flow(AuditRecord r) {
        String s = r.type() + " " + r.permission() + " " + SecurityIds.format(r.srcScid()) + "@"
                + SecurityIds.format(r.srcSnid()) + " -> " + SecurityIds.format(r.tgtScid()) + "@"
                + SecurityIds.format(r.tgtSnid());
        if (!r.protocol().isEmpty() && r.dstPort() > 0) {
            s += " " + r.protocol() + " " + r.dstAddr() + ":" + r.dstPort();
        } else if (!r.path().isEmpty()) {
            s += " " + r.path();
        }
        return s;
    }
}
