package org.opendsi.ss;

import java.time.Instant;

/**
 * Who leads the Security Servers that share one store, as this process last saw it.
 *
 * @param active        this Security Server holds the lease now (and may write to the store and sign)
 * @param holder        the lease holder's name and incarnation ({@code name#id}), "" when nobody holds it
 * @param holderAddress where the holder's SCC listens (for messages naming the active server)
 * @param epoch         the fencing epoch: increases by one at every change of holder
 * @param expiresAt     when the lease runs out unless renewed (the store's clock), null when unknown
 * @param storeError    why the store could not be reached at the last attempt, null when it could
 */
public record LeaseStatus(boolean active, String holder, String holderAddress, long epoch, Instant expiresAt,
                          String storeError) {

    /** The single Security Server on its file store: always active, no lease. */
    public static final LeaseStatus SOLE = new LeaseStatus(true, "", "", 0, null, null);

    /** "name#id at host:port": the active server as a message shows it. */
    public String describeHolder() {
        if (holder == null || holder.isEmpty()) {
            return "none (no Security Server holds the lease)";
        }
        return holder + (holderAddress == null || holderAddress.isEmpty() ? "" : " at " + holderAddress);
    }
}
