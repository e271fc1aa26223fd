package org.opendsi.ss;

import java.time.Instant;

/**
 * One node as the Security Server knows it.
 *
 * @param snid          the node's SnID
 * @param name          node name (from its certificates)
 * @param address       the cluster address it reported
 * @param state         joined, connected, disconnected or compromised
 * @param ackedVersion  newest policy version the node reported as applied (0: none yet)
 * @param ackError      the node's error for the last version it refused, or null
 * @param lastHeartbeat last frame or status received from it, null if never
 * @param certExpiry    end of validity of its channel certificate, null if unknown
 * @param joinedAt      when it joined (last join)
 */
public record NodeRecord(int snid, String name, String address, NodeState state, long ackedVersion, String ackError,
                         Instant lastHeartbeat, Instant certExpiry, Instant joinedAt) {

    public NodeRecord withState(NodeState s) {
        return new NodeRecord(snid, name, address, s, ackedVersion, ackError, lastHeartbeat, certExpiry, joinedAt);
    }

    public NodeRecord withAck(long version, String error) {
        return new NodeRecord(snid, name, address, state, version, error, lastHeartbeat, certExpiry, joinedAt);
    }

    public NodeRecord withHeartbeat(Instant at) {
        return new NodeRecord(snid, name, address, state, ackedVersion, ackError, at, certExpiry, joinedAt);
    }

    public NodeRecord withCertExpiry(Instant expiry) {
        return new NodeRecord(snid, name, address, state, ackedVersion, ackError, lastHeartbeat, expiry, joinedAt);
    }

    public NodeRecord withIdentity(String n, String a) {
        return new NodeRecord(snid, n, a, state, ackedVersion, ackError, lastHeartbeat, certExpiry, joinedAt);
    }
}
