package org.opendsi.scc;

/** Server side: notified when a peer completes HELLO or goes away (on an I/O thread; do not block). */
public interface SccPeerListener {
    void peerConnected(SccPeer peer);

    /** @param reason short human-readable reason (heartbeat timeout, closed by peer, revoked, ...) */
    void peerDisconnected(SccPeer peer, String reason);

    /**
     * The peer presented a renewed certificate on its open connection (see
     * {@link SccServer#updateCredentials}); {@link SccPeer#certificateChain()} now returns it.
     */
    default void peerReauthenticated(SccPeer peer) {
    }
}
