package org.opendsi.ss;

/**
 * The Security Server at a glance.
 *
 * @param role            {@code server} or {@code embedded}
 * @param cluster         cluster name
 * @param snid            this node's SnID
 * @param sccAddress      where the SCC listens (host:port), or the bind error
 * @param joinAddress     where the join endpoint listens, or its bind error
 * @param rootFingerprint SHA-256 of the cluster root certificate
 * @param policyVersion   the current (signed, distributed) policy version, 0 if none
 * @param connectedNodes  nodes connected over the SCC
 * @param knownNodes      nodes on record
 * @param openAlarms      alarms not acknowledged
 */
public record ServerStatus(String role, String cluster, int snid, String sccAddress, String joinAddress,
                           String rootFingerprint, long policyVersion, int connectedNodes, int knownNodes,
                           int openAlarms) {
}
