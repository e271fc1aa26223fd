package org.opendsi.api.audit;

import java.time.Instant;

/**
 * Which audit records to list.
 *
 * @param deniedOnly only denials ({@link AuditRecord#denied()})
 * @param since      only records at or after this time, or null
 * @param scid       only records whose source or target context is this ScID, or null
 * @param snid       only records whose source or target node is this SnID, or null
 * @param limit      at most this many (the most recent), 0 = no limit
 */
public record AuditQuery(boolean deniedOnly, Instant since, Integer scid, Integer snid, int limit) {

    public static AuditQuery all() {
        return new AuditQuery(false, null, null, null, 0);
    }

    public boolean matches(AuditRecord r) {
        if (deniedOnly && !r.denied()) {
            return false;
        }
        if (since != null && r.time().isBefore(since)) {
            return false;
        }
        if (scid != null && r.srcScid() != scid && r.tgtScid() != scid) {
            return false;
        }
        return snid == null || r.srcSnid() == snid || r.tgtSnid() == snid;
    }
}
