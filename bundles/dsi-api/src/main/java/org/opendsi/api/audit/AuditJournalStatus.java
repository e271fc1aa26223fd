package org.opendsi.api.audit;

/**
 * A node's audit journal now, for monitoring.
 *
 * @param lastSeq          sequence number of the newest record (0: none yet)
 * @param records          records held on disk (rotation removes the oldest files)
 * @param bytes            size of the journal files
 * @param files            number of journal files
 * @param intact           false once a check of the hash chain found a broken link
 * @param integrityProblem what that check found, empty when intact
 * @param lost             records lost so far because the in-memory buffer overflowed
 */
public record AuditJournalStatus(long lastSeq, long records, long bytes, int files, boolean intact,
                                 String integrityProblem, long lost) {
}
