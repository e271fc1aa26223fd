package org.opendsi.scc;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The hub (Security Server side): accepts connections of Security Managers.
 * A peer is identified by {@link SccPeer#id()}; when a peer with the same id connects again, the
 * newer connection replaces the older one (which is closed).
 */
public interface SccServer extends AutoCloseable {

    /** Binds and starts accepting. Blocks until bound; throws {@link SccException} when binding fails. */
    SccServer start();

    /** Bound address (useful when started on port 0). */
    InetSocketAddress localAddress();

    /**
     * Publishes to every connected peer that subscribed to a matching topic. The payload is encoded
     * once. The future completes with the number of peers it was written to; peers whose lane queue
     * was full are skipped (and logged), they are not counted.
     */
    CompletableFuture<Integer> publish(String topic, JsonNode payload, SccPriority priority);

    /**
     * Publishes to one peer (whether or not it subscribed). The future completes when the message
     * was written to that peer's socket, or fails with {@link SccException} ({@code queue-full},
     * {@code not-connected}, {@code closed}, {@code too-large}).
     */
    CompletableFuture<Void> publish(String peerId, String topic, JsonNode payload, SccPriority priority);

    /** Sends a request to one peer; the future completes with the reply or fails (timeout, remote error). */
    CompletableFuture<SccMessage> request(String peerId, String topic, JsonNode payload, SccPriority priority,
                                          Duration timeout);

    /**
     * Handles messages published by peers. {@code topicPattern} is an exact topic, a prefix ending in
     * {@code *} ({@code alarm.*} matches {@code alarm.dsm}) or {@code *} for all.
     */
    SccSubscription subscribe(String topicPattern, SccMessageHandler handler);

    /** Answers requests of peers on matching topics (first registered matching handler wins). */
    SccSubscription onRequest(String topicPattern, SccRequestHandler handler);

    SccSubscription addPeerListener(SccPeerListener listener);

    /** Connected peers (HELLO completed). */
    List<SccPeer> peers();

    Optional<SccPeer> peer(String peerId);

    /** Closes the connection of that peer (sends an error frame with the reason first). */
    boolean disconnect(String peerId, String reason);

    /**
     * Re-checks the certificate chain of every connected peer against the trust anchors and the
     * current revocation list (and validity dates) and closes the connections that fail.
     * Call it after pushing a new CRL. Returns the peers that were disconnected.
     */
    List<SccPeer> revalidatePeers();

    /**
     * Swaps this server's certificate and key in place, e.g. after a renewal. The listening socket
     * stays open and no connection is dropped: new handshakes present the new certificate, and every
     * connected peer is sent the new chain with a proof of possession of the new key over its open
     * connection (a {@code REAUTH} frame, see PROTOCOL.md), after which it sees the new certificate.
     * The future completes with the number of connected peers that accepted the new chain; a peer
     * that refuses it is disconnected.
     *
     * @throws SccException ({@code config}) when no TLS context can be built from {@code renewed}; the
     *                      old credentials then stay in use
     */
    CompletableFuture<Integer> updateCredentials(SccCredentials renewed);

    /** Stops accepting and closes all connections. */
    @Override
    void close();
}
