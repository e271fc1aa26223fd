package org.opendsi.dsm;

import java.util.LinkedHashMap;
import java.util.Map;

/** The counters of the kernel part (struct dsm_counters of dsm.h). */
public record DsmCounters(long policyVersion, long packetsLabeled, long packetsAllowed, long packetsDenied,
                          long packetsAuditOnly, long forgedLabels, long localDenied, long execsTransitioned,
                          long execsDenied, long eventsSuppressed, long eventsLost, long tableSwaps,
                          long labelsBadMac, long labelsNoKey, long sealedDrops, long labelFailed, long labelTooBig,
                          long execsKilled, long execsDumpable, long portGuardDrops) {

    /** Name -> value, in declaration order (for tables). */
    public Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("policy version", policyVersion);
        m.put("packets labeled", packetsLabeled);
        m.put("packets allowed", packetsAllowed);
        m.put("packets denied", packetsDenied);
        m.put("packets audit-only", packetsAuditOnly);
        m.put("forged labels", forgedLabels);
        m.put("local denied", localDenied);
        m.put("execs transitioned", execsTransitioned);
        m.put("execs denied", execsDenied);
        m.put("events suppressed", eventsSuppressed);
        m.put("events lost", eventsLost);
        m.put("table swaps", tableSwaps);
        m.put("labels with a bad MAC", labelsBadMac);
        m.put("labels sent without key", labelsNoKey);
        m.put("foreign labels dropped at egress", sealedDrops);
        m.put("packets without room for the label", labelFailed);
        m.put("packets too big for the label", labelTooBig);
        m.put("execs killed in the gate", execsKilled);
        m.put("execs released dumpable", execsDumpable);
        m.put("packets for reserved ports dropped", portGuardDrops);
        return m;
    }
}
