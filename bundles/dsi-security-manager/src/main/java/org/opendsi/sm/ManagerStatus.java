package org.opendsi.sm;

import java.time.Instant;

/**
 * A Security Manager at a glance.
 *
 * @param role            always {@code manager}
 * @param cluster         cluster name
 * @param snid            this node's SnID
 * @param name            this node's name
 * @param joined          whether it holds cluster credentials
 * @param ssAddress       the Security Server it talks to (host:port) or tries next; with several in
 *                        {@code ss.hosts}, followed by {@code (one of host:port, host:port, ...)}
 * @param connection      SCC connection state (CONNECTED, CONNECTING, DISCONNECTED, CLOSED, NOT_JOINED)
 * @param signedVersion   version of the last signed policy applied (0: none yet)
 * @param policyVersion   the policy version the policy service enforces now
 * @param queuedAlarms    alarms waiting for the Security Server
 * @param droppedAlarms   alarms dropped because the queue was full (reported as an alarm when delivered)
 * @param certExpiry      end of validity of the channel certificate, null before the join
 * @param lastError       last policy/alarm/renewal error, null if none
 * @param queuedFrames    frames waiting on the SCC connection, per lane: ALARM, CONTROL, BULK (zeros when not connected)
 */
public record ManagerStatus(String role, String cluster, int snid, String name, boolean joined, String ssAddress,
                            String connection, long signedVersion, long policyVersion, int queuedAlarms,
                            long droppedAlarms, Instant certExpiry, String lastError,
                            java.util.List<Integer> queuedFrames) {
}
