package org.opendsi.dsm.internal.jna;

import com.sun.jna.Structure;

import org.opendsi.dsm.DsmCounters;

/** struct dsm_counters (dsm.h). */
@Structure.FieldOrder({"policy_version", "packets_labeled", "packets_allowed", "packets_denied",
        "packets_audit_only", "forged_labels", "local_denied", "execs_transitioned", "execs_denied",
        "events_suppressed", "events_lost", "table_swaps", "labels_bad_mac", "labels_no_key", "sealed_drops",
        "label_failed", "label_too_big", "execs_killed", "execs_dumpable", "port_guard_drops"})
public class CountersStruct extends Structure {
    public long policy_version;
    public long packets_labeled;
    public long packets_allowed;
    public long packets_denied;
    public long packets_audit_only;
    public long forged_labels;
    public long local_denied;
    public long execs_transitioned;
    public long execs_denied;
    public long events_suppressed;
    public long events_lost;
    public long table_swaps;
    public long labels_bad_mac;
    public long labels_no_key;
    public long sealed_drops;
    public long label_failed;
    public long label_too_big;
    public long execs_killed;
    public long execs_dumpable;
    public long port_guard_drops;

    public int offsetOf(String name) {
        return fieldOffset(name);
    }

    public DsmCounters toCounters() {
        return new DsmCounters(policy_version, packets_labeled, packets_allowed, packets_denied, packets_audit_only,
                forged_labels, local_denied, execs_transitioned, execs_denied, events_suppressed, events_lost,
                table_swaps, labels_bad_mac, labels_no_key, sealed_drops, label_failed, label_too_big, execs_killed,
                execs_dumpable, port_guard_drops);
    }
}
