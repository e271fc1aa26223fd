package org.opendsi.audit.internal;

/**
 * This node's audit journal over JMX, object name {@code org.opendsi:type=Auditing} (read-only, read
 * anew on every call; nothing here re-verifies the hash chain: {@code dsi:audit --verify} does).
 */
public interface AuditingStatsMBean {

    /** Sequence number of the last record written (0: none). */
    long getLastSeq();

    /** Records held in the journal files (rotation removes the oldest). */
    long getRecords();

    /** Size of the journal files, in bytes. */
    long getBytes();

    /** Number of journal files. */
    int getFiles();

    /** False once an integrity problem was found since start (at start or by the periodic check). */
    boolean isIntact();

    /** The last integrity problem found since start, empty when none. */
    String getIntegrityProblem();

    /** Records lost because the in-memory buffer overflowed (each loss is journaled too). */
    long getRecordsLost();

    /** Whether records are forwarded to a syslog server. */
    boolean isSyslogForwarding();

    /** The forwarder's state ({@code connected}, ...), {@code off} when forwarding is off. */
    String getSyslogState();

    /** Records sent to syslog since start; -1 when forwarding is off. */
    long getSyslogSent();

    /** Records the syslog queue could not hold since start; -1 when forwarding is off. */
    long getSyslogDropped();

    /** Journal records not yet known to have left the node; -1 when forwarding is off. */
    long getSyslogPending();
}
