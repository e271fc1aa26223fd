package org.opendsi.api.audit;

/**
 * Result of checking the journal's hash chain.
 *
 * @param intact   true when every record's hash and link hold
 * @param records  records checked
 * @param files    journal files checked
 * @param file     file of the first broken link (null when intact)
 * @param line     line number in that file (1-based, 0 when intact)
 * @param seq      sequence number of the first bad record when readable, else -1
 * @param problem  what is wrong, in plain words (null when intact)
 */
public record AuditVerification(boolean intact, long records, int files, String file, long line, long seq,
                                String problem) {
}
