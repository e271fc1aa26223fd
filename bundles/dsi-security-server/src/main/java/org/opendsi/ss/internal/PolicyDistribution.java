package org.opendsi.ss.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.PolicyMessage;
import org.opendsi.cluster.protocol.PolicySignatures;
import org.opendsi.cluster.protocol.SignedPolicy;
import org.opendsi.keys.Credentials;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccServer;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NotActiveException;
import org.opendsi.ss.PolicyPropagation;
import org.opendsi.ss.ServerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed policy distribution: stores and signs each version the policy service makes current, sends it to
 * the nodes (a patch when worth it), answers their snapshot requests, records their acks (group commit)
 * and how long a version took to reach them. Publishing and ack flushes run on the Security Server's executor.
 */
final class PolicyDistribution {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyDistribution.class);

    private record Current(SignedPolicy envelope, byte[] xml) {
    }

    private record PendingAck(long version, boolean ok, String error) {
        PendingAck newer(PendingAck other) {
            return other.version >= version ? other : this;
        }
    }

    /** The nodes that acked a version in time, and those that did not. */
    record Acks(List<Integer> acked, List<Integer> pending) {
    }

    private final NodeConfig cfg;
    private final PolicyService policyService;
    private final ServerStore store;
    private final ScheduledExecutorService executor;
    private final Supplier<SccServer> server;
    private final Supplier<Credentials> credentials;
    private final Supplier<SharedMode> shared;
    private final Object ackMonitor = new Object();
    private final Object publishMonitor = new Object();
    /** Why a version made current here was not distributed (kept for the operator's command). */
    private final Map<Long, String> publishErrors = new ConcurrentHashMap<>();
    private final Map<Integer, PendingAck> pendingAcks = new ConcurrentHashMap<>();
    private final AtomicBoolean ackFlushScheduled = new AtomicBoolean();
    /** Command-to-ack times of the policy versions (dsi_ss_policy_propagation_seconds). */
    private final PropagationRecorder propagation = new PropagationRecorder();
    private volatile Current current;

    /**
     * @param shared how the store is shared: a version is signed only while its lease says this server
     *               may act
     */
    PolicyDistribution(NodeConfig cfg, PolicyService policyService, ServerStore store,
            ScheduledExecutorService executor, Supplier<SccServer> server, Supplier<Credentials> credentials,
            Supplier<SharedMode> shared) {
        this.cfg = cfg;
        this.policyService = policyService;
        this.store = store;
        this.executor = executor;
        this.server = server;
        this.credentials = credentials;
        this.shared = shared;
    }

    /** At start on a shared store: the policy service takes the version a former active server stored. */
    void adoptStored() {
        if (shared.get() != SharedMode.SOLE) {
            StoredPolicy.adopt(store, policyService);
        }
    }

    /** See {@link org.opendsi.api.policy.PolicyListener#policyApplied}. */
    void policyApplied(PolicyVersion version) {
        // called under the policy service's lock: the current source is this version's
        Optional<PolicyVersion> cur = policyService.current();
        Optional<byte[]> src = policyService.currentSource();
        if (cur.isEmpty() || src.isEmpty() || cur.get().version() != version.version()) {
            return;
        }
        byte[] xml = src.get();
        executor.execute(() -> publish(version, xml));
    }

    private void publish(PolicyVersion v, byte[] xml) {
        Current prev = current;
        if (prev != null && prev.envelope().version() >= v.version()) {
            return;
        }
        SignedPolicy env;
        try {
            env = storeAndSign(v, xml);
        } catch (RuntimeException e) {
            LOG.error("Policy version {} is current on this node but NOT distributed: {}", v.version(), e.getMessage());
            synchronized (publishMonitor) {
                publishErrors.put(v.version(), e.getMessage());
                publishMonitor.notifyAll();
            }
            return;
        }
        propagation.started(v.version(), v.appliedAt() != null ? v.appliedAt() : Instant.now());
        synchronized (publishMonitor) {
            current = new Current(env, xml);
            publishMonitor.notifyAll();
        }
        SccServer s = server.get();
        int sent = 0;
        if (s != null) {
            for (SccPeer peer : s.peers()) {
                Optional<Integer> sn = Membership.snidOf(peer);
                if (sn.isPresent() && sendPolicy(peer.id(), sn.get())) {
                    sent++;
                }
            }
        }
        LOG.info("Policy version {} signed and sent to {} node(s)", v.version(), sent);
    }

    private SignedPolicy storeAndSign(PolicyVersion v, byte[] xml) {
        // stored first (fenced by the lease when the store is shared): a version is distributed only once
        // it is on record where a standby taking over finds it
        store.putPolicy(v.version(), xml);
        SharedMode mode = shared.get();
        if (!mode.mayAct().getAsBoolean()) {
            throw new NotActiveException("policy version " + v.version() + " not signed", mode.lease().get());
        }
        Credentials c = credentials.get();
        return PolicySignatures.sign(cfg.cluster(), v.version(), xml, v.summary().digest(), v.summary().name(),
                c.privateKey(), c.chain());
    }

    /** Sends the current version to one node unless it acked it already (a patch when worth it). */
    boolean sendPolicy(String peerId, int snid) {
        Current cur = current;
        SccServer s = server.get();
        if (cur == null || s == null || store.compromised().contains(snid)) {
            return false;
        }
        long acked = store.node(snid).map(NodeRecord::ackedVersion).orElse(0L);
        if (acked >= cur.envelope().version()) {
            return false;
        }
        byte[] base = acked > 0 ? store.policy(acked).orElse(null) : null;
        PolicyMessage msg = PolicyMessage.choose(cur.envelope(), cur.xml(), acked, base);
        s.publish(peerId, ClusterTopics.POLICY, msg.toJson(), SccPriority.CONTROL).whenComplete((x, e) -> {
            if (e != null) {
                LOG.warn("Policy version {} not sent to node {}: {}", cur.envelope().version(), snid, e.toString());
            }
        });
        LOG.debug("Sent policy version {} to node {} as {}", cur.envelope().version(), snid,
                msg.isPatch() ? "a patch against " + acked : "the full source");
        return true;
    }

    /**
     * Re-signs the current version (same content and sha256, so nodes that already run it just ack) with
     * {@code c}.
     */
    void resign(Credentials c) {
        Current cur = current;
        if (cur != null) {
            SignedPolicy e = cur.envelope();
            current = new Current(PolicySignatures.sign(cfg.cluster(), e.version(), cur.xml(), e.digest(),
                    e.name(), c.privateKey(), c.chain()), cur.xml());
        }
    }

    /** A node asks for the current version in full. */
    CompletionStage<JsonNode> onSnapshot(SccPeer peer, SccMessage m) {
        Membership.requireNode(peer); // every SCC peer is a node today (ClusterTrust); said here too, where it matters
        Current cur = current;
        return CompletableFuture.completedFuture(cur == null ? Json.object().put("none", true)
                : PolicyMessage.full(cur.envelope(), cur.xml()).toJson());
    }

    void onAck(SccPeer peer, SccMessage m) {
        Optional<Integer> sn = Membership.snidOf(peer);
        if (sn.isEmpty()) {
            return;
        }
        int snid = sn.get();
        ClusterMessages.PolicyAck ack = ClusterMessages.policyAck(m.payload());
        long version = ack.version();
        boolean ok = ack.ok();
        String error = ack.error();
        if (!ok) {
            LOG.warn("Node {} refused policy version {}: {}", snid, version, error);
        } else {
            propagation.acked(snid, version, Instant.now());
        }
        // Group commit: a policy push brings N acks at once; one durable write per burst instead of
        // one nodes.json rewrite per ack (that made 1000 acks take seconds).
        pendingAcks.merge(snid, new PendingAck(version, ok, error), PendingAck::newer);
        if (ackFlushScheduled.compareAndSet(false, true)) {
            executor.execute(this::flushAcks);
        }
    }

    private void flushAcks() {
        ackFlushScheduled.set(false);
        List<NodeRecord> updated = new ArrayList<>();
        for (Integer snid : List.copyOf(pendingAcks.keySet())) {
            PendingAck a = pendingAcks.remove(snid);
            if (a == null) {
                continue;
            }
            store.node(snid).ifPresent(r -> updated.add(a.ok() ? r.withAck(Math.max(r.ackedVersion(), a.version()), null)
                    : r.withAck(r.ackedVersion(), "v" + a.version() + ": " + a.error())));
        }
        if (!updated.isEmpty()) {
            store.putNodes(updated);
        }
        synchronized (ackMonitor) {
            ackMonitor.notifyAll();
        }
    }

    /** Waits until each of {@code nodes} has acked {@code version} or later, at most {@code timeout}. */
    Acks awaitAcked(List<Integer> nodes, long version, Duration timeout) throws InterruptedException {
        List<Integer> acked = new ArrayList<>();
        List<Integer> pending = new ArrayList<>(nodes);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (ackMonitor) {
            while (true) {
                acked.clear();
                pending.clear();
                for (int o : nodes) {
                    long a = store.node(o).map(NodeRecord::ackedVersion).orElse(0L);
                    (a >= version ? acked : pending).add(o);
                }
                long left = deadline - System.nanoTime();
                if (pending.isEmpty() || left <= 0) {
                    break;
                }
                ackMonitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
        return new Acks(List.copyOf(acked), List.copyOf(pending));
    }

    /** See {@link org.opendsi.ss.SecurityServer#awaitPublished}. */
    void awaitPublished(long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (publishMonitor) {
            while (true) {
                String error = publishErrors.get(version);
                if (error != null) {
                    throw new IllegalStateException("policy version " + version + " was not distributed: " + error);
                }
                Current c = current;
                if (c != null && c.envelope().version() >= version) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("policy version " + version + " was not stored and signed within "
                            + timeout.toSeconds() + " s");
                }
                publishMonitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    Optional<SignedPolicy> currentEnvelope() {
        Current c = current;
        return c == null ? Optional.empty() : Optional.of(c.envelope());
    }

    /** The version distributed now, 0 before the first. */
    long currentVersion() {
        Current c = current;
        return c == null ? 0 : c.envelope().version();
    }

    PolicyPropagation propagation() {
        return propagation.snapshot();
    }
}
