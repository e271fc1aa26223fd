package org.opendsi.ss;

import java.time.Duration;
import java.util.List;

/**
 * The cluster's Security Server: policy authority, node registry, certificate authority, alarm log
 * and compromise response. Registered as an OSGi service on nodes whose {@code org.opendsi.node}
 * role is {@code server} or {@code embedded}.
 */
public interface SecurityServer {

    /** Command-to-ack times of policy versions since this Security Server started. */
    PolicyPropagation policyPropagation();

    /** The nodes connected over the SCC now, with what waits on each connection. */
    java.util.List<NodeChannel> channels();

    /** How far back {@link #denials} reaches. */
    java.time.Duration DENIAL_WINDOW = java.time.Duration.ofMinutes(15);

    /** Every node on record, by SnID. */
    List<NodeRecord> nodes();

    /** Every alarm stored, oldest first (its own and those of all nodes). */
    List<StoredAlarm> alarms();

    /** Acknowledges an alarm; false when no alarm has that id. */
    boolean ackAlarm(String id);

    /**
     * Creates a one-time join token valid for {@code ttl} for node {@code snid} only (and, unless
     * empty, the node name {@code name}): {@code <secret>.<sha256 of the root certificate>}, so the
     * joining node can verify this Security Server without any prior trust. With {@code replace} the
     * join may take over a SnID whose certificates are live, which are revoked first; without, such
     * a join is refused.
     */
    String createToken(int snid, String name, Duration ttl, boolean replace);

    /**
     * Declares node {@code snid} compromised: revokes its certificates, pushes the revocation list,
     * disconnects it, amends the policy so every node refuses its labels, withdraws its label keys from
     * every other node and rotates the keys, raises a CRITICAL alarm,
     * and waits (at most a few seconds) until the other connected nodes acked the amended policy.
     */
    CompromiseResult compromised(int snid) throws Exception;

    ServerStatus status();

    /** Joins accepted since this Security Server started (not persisted: 0 after a restart). */
    long joinsSinceStart();

    /** Nodes declared compromised since this Security Server started (each declaration counts once). */
    long compromisesSinceStart();

    /** The label key epochs held and what each node acknowledged holding (no key material). */
    LabelKeyStatus labelKeys();

    /**
     * Rotates the label keys: a new epoch is handed out, labels switch to it once every connected node
     * holds it (or after a timeout), and the previous epoch is dropped after a grace period. Runs after
     * a rotation already under way. The future completes with the new epoch once it is being handed out.
     */
    java.util.concurrent.CompletableFuture<Integer> rotateLabelKeys();

    /**
     * The denials the nodes' auditing services journaled at or after {@code since} (at most the
     * last {@link #DENIAL_WINDOW}), per flow and reporting node, counts summed over that time.
     */
    java.util.List<DenialFlow> denials(java.time.Instant since);

    /**
     * Calls the listener with each batch of denials as it reaches the Security Server (counts are the
     * batch's own), on the feed's thread: return quickly. Closing the handle stops the calls.
     */
    AutoCloseable followDenials(java.util.function.Consumer<java.util.List<DenialFlow>> listener);

    /**
     * Who leads the Security Servers sharing this one's store; {@link LeaseStatus#SOLE} for a single
     * Security Server on its file store (always active).
     */
    default LeaseStatus lease() {
        return LeaseStatus.SOLE;
    }

    /** The Security Servers sharing this one's store, as they last reported themselves; none on a file store. */
    default java.util.List<ServerPeer> servers() {
        return java.util.List.of();
    }

    /** The store this Security Server keeps its state in, and whether it answers. */
    default StoreHealth storeHealth() {
        return new StoreHealth("file", "", true, "", java.time.Instant.now(), null);
    }

    /**
     * Waits until policy {@code version} (made current on this node by the policy service) is stored and
     * signed for distribution, so that an operator's command reports success only then.
     *
     * @throws IllegalStateException naming why it was not (this server is a standby or lost its lease, the
     *                               store refused it, or {@code timeout} passed)
     */
    default void awaitPublished(long version, java.time.Duration timeout) throws InterruptedException {
    }
}
