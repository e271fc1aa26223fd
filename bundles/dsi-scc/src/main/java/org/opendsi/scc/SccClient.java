package org.opendsi.scc;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A spoke (Security Manager side): one connection to the hub, re-established automatically with
 * jittered exponential back-off until {@link #close()}.
 */
public interface SccClient extends AutoCloseable {

    /**
     * Starts connecting (and reconnecting). The future completes at the first successful HELLO;
     * it does not fail on refused attempts (they are retried): use a timeout and the state listener.
     */
    CompletableFuture<Void> connect();

    SccConnectionState state();

    /** The hub, while connected. */
    Optional<SccPeer> server();

    /**
     * Publishes to the hub. The future completes when the hub acknowledged the message (its handlers
     * ran), fails immediately with {@code not-connected}, {@code queue-full} or {@code too-large}, or
     * with {@code closed} when the connection dropped before the ack (the message is then offered to
     * the {@link SccResumeHandler} after reconnecting).
     */
    CompletableFuture<Void> publish(String topic, JsonNode payload, SccPriority priority);

    /** Request/reply with the hub; fails with {@link java.util.concurrent.TimeoutException} after {@code timeout}. */
    CompletableFuture<SccMessage> request(String topic, JsonNode payload, SccPriority priority, Duration timeout);

    /** Same with the default {@link SccOptions#requestTimeout()}. */
    default CompletableFuture<SccMessage> request(String topic, JsonNode payload, SccPriority priority) {
        return request(topic, payload, priority, null);
    }

    /**
     * Subscribes to messages the hub broadcasts on matching topics; the subscription is announced
     * to the hub (it filters broadcasts) and re-announced after every reconnection.
     */
    SccSubscription subscribe(String topicPattern, SccMessageHandler handler);

    /** Answers requests sent by the hub. */
    SccSubscription onRequest(String topicPattern, SccRequestHandler handler);

    SccSubscription addStateListener(SccStateListener listener);

    void setResumeHandler(SccResumeHandler handler);

    /**
     * Re-checks the hub's certificate against trust anchors, current CRLs and validity dates and
     * drops the connection when it fails. Returns {@code true} if the connection was dropped.
     */
    boolean revalidateServer();

    /**
     * Swaps this client's certificate and key in place, e.g. after a renewal, without a reconnect:
     * the open connection re-authenticates in band (a {@code REAUTH} frame carrying the new chain and a
     * proof of possession of the new key, see PROTOCOL.md) and later connections present the new
     * certificate in their handshake. The future completes when the hub accepted the new chain, or at
     * once when not connected; it fails when the hub refused it (the hub then closes the connection,
     * and the client reconnects with the new credentials).
     *
     * @throws SccException ({@code config}) when no TLS context can be built from {@code renewed}; the
     *                      old credentials then stay in use
     */
    CompletableFuture<Void> updateCredentials(SccCredentials renewed);

    /** Stops reconnecting and closes the connection. */
    @Override
    void close();
}
