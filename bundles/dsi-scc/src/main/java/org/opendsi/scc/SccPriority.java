package org.opendsi.scc;

/**
 * Priority lane of a message. On every connection each priority has its own bounded outbound
 * queue; a queued ALARM is always written before any queued CONTROL, which is written before any
 * queued BULK message.
 */
public enum SccPriority {
    /** Alarms and compromise notices: never delayed by other traffic. */
    ALARM,
    /** Control traffic: acks, joins, small commands. */
    CONTROL,
    /** Bulk traffic: policy snapshots, audit batches. */
    BULK
}
