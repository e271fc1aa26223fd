package org.opendsi.api.audit;

import java.time.Instant;

/**
 * A node's audit journal at one moment, to be anchored off the node: the last record's sequence
 * number and hash, and the first record still kept. A journal whose tail was cut or whose files
 * were deleted can no longer show a record with this {@code seq} and {@code hash}.
 *
 * @param seq      sequence number of the last record (0: empty journal)
 * @param hash     its hash ({@link AuditRecord#GENESIS} for an empty journal)
 * @param firstSeq sequence number of the oldest record kept
 * @param time     when the checkpoint was taken
 */
public record AuditCheckpoint(long seq, String hash, long firstSeq, Instant time) {
}
