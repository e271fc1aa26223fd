package org.opendsi.ss;

import java.time.Instant;

/**
 * One node's SCC connection to the Security Server.
 *
 * @param queuedAlarm   frames waiting on the ALARM lane (label keys, CRLs)
 * @param queuedControl frames waiting on the CONTROL lane (policy, replies)
 * @param queuedBulk    frames waiting on the BULK lane
 */
public record NodeChannel(int snid, String remoteAddress, Instant connectedSince, int queuedAlarm, int queuedControl,
                          int queuedBulk) {
}
