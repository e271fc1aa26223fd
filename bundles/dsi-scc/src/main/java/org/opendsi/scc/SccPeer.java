package org.opendsi.scc;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The authenticated other end of one SCC connection (an SM seen by the SS, or the SS seen by an SM). */
public interface SccPeer {
    /** Stable identity: the first URI SAN of the peer certificate, or its subject DN when it has none. */
    String id();

    /** Subject DN of the peer's leaf certificate (RFC 2253). */
    String subject();

    /** First URI subject alternative name (e.g. {@code spiffe://cluster/node/1}), if any. */
    Optional<String> uriSan();

    /** Peer certificate chain as presented in the TLS handshake, leaf first. */
    List<X509Certificate> certificateChain();

    /** End of validity of the peer's leaf certificate. */
    Instant certificateExpiry();

    InetSocketAddress remoteAddress();

    /** When the HELLO exchange completed. */
    Instant connectedSince();

    /** When the last frame (any frame: heartbeat or message) was received from this peer. */
    Instant lastHeartbeat();

    /** Negotiated TLS protocol, always {@code TLSv1.3}. */
    String tlsProtocol();

    String cipherSuite();

    /** Negotiated SCC protocol version, {@code major.minor}. */
    String protocolVersion();

    boolean isConnected();

    /** Frames waiting to be written on one lane of this connection (bounded per lane). */
    int queued(SccPriority lane);
}
