package org.opendsi.ss;

import java.util.List;

/**
 * What {@link SecurityServer#compromised(int)} did.
 *
 * @param snid               the node declared compromised
 * @param revokedCertificates how many of its certificates were revoked now
 * @param policyVersion      the amended policy version that excludes it (0 when the policy did not name it)
 * @param policyAmended      whether the policy source had a node element to mark
 * @param disconnected       whether it was connected and got disconnected
 * @param ackedBy            SnIDs of the other connected nodes that acked the amended version
 * @param pending            SnIDs of connected nodes that had not acked it when the wait ended
 * @param isolationMillis    time from the command until every other connected node acked the amended
 *                           version (or until the wait ended, see {@code pending})
 */
public record CompromiseResult(int snid, int revokedCertificates, long policyVersion, boolean policyAmended,
                               boolean disconnected, List<Integer> ackedBy, List<Integer> pending,
                               long isolationMillis) {
}
