package org.opendsi.ss;

/** Where a node stands from the Security Server's point of view. */
public enum NodeState {
    /** Joined (certificates issued), never connected over the SCC since. */
    JOINED,
    /** Connected over the SCC now. */
    CONNECTED,
    /** Was connected, is not now (heartbeat lost, stopped, restarting). */
    DISCONNECTED,
    /** Declared compromised: certificates revoked, excluded by the policy, refused on the SCC and at join. */
    COMPROMISED
}
