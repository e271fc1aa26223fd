package org.opendsi.ss;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Persistent state of the Security Server. The shipped implementation keeps JSON files with atomic
 * writes in the node's data folder; a shared database behind this interface would let a standby
 * Security Server take over. Every write is durable when the method returns. Thread-safe.
 */
public interface ServerStore {

    List<NodeRecord> nodes();

    Optional<NodeRecord> node(int snid);

    void putNode(NodeRecord node);

    /** Stores several node records in one durable write (group commit of a burst of acks). */
    default void putNodes(List<NodeRecord> records) {
        records.forEach(this::putNode);
    }

    /** Stores an alarm; false (and nothing stored) when an alarm with that id is already stored. */
    boolean addAlarm(StoredAlarm alarm);

    List<StoredAlarm> alarms();

    /** Replaces a stored alarm with the same id; false when there is none. */
    boolean updateAlarm(StoredAlarm alarm);

    Set<Integer> compromised();

    void addCompromised(int snid);

    /** Keeps the exact DSP source of a published version (for incremental updates and the record). */
    void putPolicy(long version, byte[] xml);

    Optional<byte[]> policy(long version);

    /** Published versions kept, ascending. */
    List<Long> policyVersions();

    /** The audit anchor of a node: the newest checkpoint it reported (see {@link StoredCheckpoint}). */
    Optional<StoredCheckpoint> auditAnchor(int snid);

    void putAuditAnchor(int snid, StoredCheckpoint checkpoint);

    /** The label key epochs with their master secrets; empty before the first epoch was created. */
    Optional<StoredLabelKeys> labelKeys();

    /**
     * Replaces the stored label key epochs. The master secrets must be kept where only the Security
     * Server's own account can read them (the file store: an owner-only file).
     */
    void putLabelKeys(StoredLabelKeys keys);
}
