package org.opendsi.dsm.internal.jmx;

/**
 * This node's kernel DSM over JMX, object name {@code org.opendsi:type=Dsm} (read-only). Every getter
 * reads the {@link org.opendsi.dsm.Dsm} service anew. The counters are those of the kernel part
 * ({@link org.opendsi.dsm.DsmCounters}); they read -1 while the DSM is unavailable (audit-only mode).
 */
public interface DsmStatsMBean {

    /** True when the kernel part is attached and enforcing. */
    boolean isAvailable();

    /** Why the DSM is unavailable, empty when it is available. */
    String getReason();

    /** {@code enforcing} or {@code audit-only}. */
    String getMode();

    /** This node's SnID (unsigned). */
    long getSnID();

    /** Version of the policy table in force in the kernel, 0 = none. */
    long getTableVersion();

    /** The failure of the last table load, empty when it succeeded. */
    String getLastTableError();

    /** The policy version the kernel's counters report (struct dsm_counters). */
    long getKernelPolicyVersion();

    long getPacketsLabeled();

    long getPacketsAllowed();

    long getPacketsDenied();

    long getPacketsAuditOnly();

    long getForgedLabels();

    long getLocalDenied();

    long getExecsTransitioned();

    long getExecsDenied();

    long getEventsSuppressed();

    long getEventsLost();

    long getTableSwaps();

    long getLabelsBadMac();

    long getLabelsNoKey();

    /** Packets carrying a foreign label dropped at egress. */
    long getSealedDrops();

    /** Packets without room for the label. */
    long getLabelFailed();

    /** Packets too big for the label. */
    long getLabelTooBig();

    /** Execs killed in the exec gate. */
    long getExecsKilled();

    /** Execs released dumpable. */
    long getExecsDumpable();

    /** Packets for reserved ports dropped. */
    long getPortGuardDrops();

    /** Epoch labels are MACed with, 0 = no keys installed; -1 when the DSM cannot tell (unavailable, unsupported). */
    int getLabelKeySendEpoch();

    /** Number of (epoch, peer) label keys held; -1 when the DSM cannot tell. */
    int getLabelKeysHeld();
}
