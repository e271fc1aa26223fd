package org.opendsi.ss.internal;

import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.cluster.protocol.AuditCheckpoints;
import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.JoinException;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.JoinRequest;
import org.opendsi.keys.NodeCertificates;
import org.opendsi.keys.RenewalRequest;
import org.opendsi.keys.SpiffeId;
import org.opendsi.keys.SpiffeIds;
import org.opendsi.policy.PolicyPatch;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPeerListener;
import org.opendsi.scc.SccServer;
import org.opendsi.ss.CompromiseResult;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.ss.StoredCheckpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes of the cluster and what they report: joins, hellos, heartbeats, certificate renewals, audit
 * checkpoints, alarms (and this server's own), the node records, and the response to a node declared
 * compromised. The SCC handlers run on the Security Server's executor.
 */
final class Membership implements SccPeerListener {

    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    /** How long dsi:compromised waits for the other nodes' acks. */
    static final Duration ISOLATION_WAIT = Duration.ofSeconds(5);

    /** The SCC side of a compromise: whether its connection was dropped, and the other nodes connected. */
    private record CutOff(boolean disconnected, List<Integer> others) {
    }

    /** The policy version that refuses a compromised node's labels ({@code amended}), or the current one. */
    private record Amendment(long version, boolean amended) {
    }

    private final NodeConfig cfg;
    private final PolicyService policyService;
    private final ServerStore store;
    private final ClusterCa ca;
    private final ScheduledExecutorService executor;
    private final Supplier<SccServer> server;
    private final LabelKeyAuthority labelKeys;
    private final PolicyDistribution distribution;
    private final Housekeeping housekeeping;
    private final Map<Integer, Instant> heartbeats = new ConcurrentHashMap<>();
    /** Counted since start, for {@link #joinsSinceStart()} and {@link #compromisesSinceStart()}. */
    private final AtomicLong joins = new AtomicLong();
    private final AtomicLong compromises = new AtomicLong();
    /** (snid, seq) of journals already reported as gone back or rewritten: one alarm each. */
    private final Set<String> auditReported = ConcurrentHashMap.newKeySet();

    Membership(NodeConfig cfg, PolicyService policyService, ServerStore store, ClusterCa ca,
            ScheduledExecutorService executor, Supplier<SccServer> server, LabelKeyAuthority labelKeys,
            PolicyDistribution distribution, Housekeeping housekeeping) {
        this.cfg = cfg;
        this.policyService = policyService;
        this.store = store;
        this.ca = ca;
        this.executor = executor;
        this.server = server;
        this.labelKeys = labelKeys;
        this.distribution = distribution;
        this.housekeeping = housekeeping;
    }

    static Optional<Integer> snidOf(SccPeer peer) {
        try {
            SpiffeId id = SpiffeIds.parse(peer.certificateChain().get(0));
            return id.kind() == SpiffeId.Kind.NODE ? Optional.of(id.snid()) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static int requireNode(SccPeer peer) {
        return snidOf(peer).orElseThrow(() -> new IllegalArgumentException("peer " + peer.id() + " is not a node"));
    }

    /** At start: no node is connected yet. */
    void markAllDisconnected() {
        for (NodeRecord r : store.nodes()) {
            if (r.state() == NodeState.CONNECTED) {
                store.putNode(r.withState(NodeState.DISCONNECTED));
            }
        }
    }

    // ---------------------------------------------------------------- SCC handlers

    CompletionStage<JsonNode> onHello(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            if (store.compromised().contains(snid)) {
                server.get().disconnect(peer.id(), "node " + snid + " was declared compromised");
                throw new IllegalStateException("node " + snid + " was declared compromised");
            }
            ClusterMessages.Hello hello = ClusterMessages.hello(m.payload());
            long version = hello.signedVersion();
            NodeRecord r = store.node(snid).orElse(new NodeRecord(snid, "?", "", NodeState.JOINED, 0, null, null,
                    null, null));
            long acked = runsStored(version, hello.sha256()) ? version : 0;
            heartbeats.put(snid, Instant.now());
            r = r.withIdentity(hello.name().isEmpty() ? r.name() : hello.name(),
                    hello.address().isEmpty() ? r.address() : hello.address())
                    .withState(NodeState.CONNECTED).withHeartbeat(Instant.now()).withCertExpiry(peer.certificateExpiry())
                    .withAck(acked, null);
            store.putNode(r);
            LOG.info("Node {} ({}) connected from {}, running signed policy version {}", snid, r.name(),
                    peer.remoteAddress(), version);
            ClusterMessages.HelloReply reply = new ClusterMessages.HelloReply(distribution.currentVersion(),
                    ca.crl(), store.auditAnchor(snid).map(StoredCheckpoint::checkpoint));
            // its label keys first (on the ALARM lane), so it holds them before it labels under a new policy
            labelKeys.nodeConnected(snid);
            executor.execute(() -> distribution.sendPolicy(peer.id(), snid));
            return (JsonNode) ClusterMessages.encode(reply);
        }, executor);
    }

    /** Whether the version a node says it runs is the one stored here under that number. */
    private boolean runsStored(long version, String sha) {
        if (version <= 0) {
            return false;
        }
        Optional<byte[]> src = store.policy(version);
        return src.isPresent() && PolicyPatch.sha256Hex(src.get()).equals(sha);
    }

    CompletionStage<JsonNode> onAlarm(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            Alarm a = Json.alarm(m.payload());
            // the node is who its certificate says, whatever the payload claims
            a = new Alarm(a.id(), a.priority(), snid, a.node(), a.time(), a.source(), a.text());
            boolean fresh = store.addAlarm(new StoredAlarm(a, Instant.now(), null));
            if (fresh) {
                LOG.info("Alarm {} from node {}: [{}] {}", a.id(), snid, a.priority(), a.text());
            }
            return (JsonNode) ClusterMessages.encode(new ClusterMessages.AlarmStored(!fresh));
        }, executor);
    }

    /**
     * A node's audit checkpoint, signed with its channel key. Kept when it is the newest; a
     * checkpoint behind the kept one (a cut tail, deleted files, a journal started over) or with
     * the same number but another hash (a rewritten chain) raises a HIGH alarm, once.
     */
    CompletionStage<JsonNode> onAuditCheckpoint(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            AuditCheckpoint c = AuditCheckpoints.verified(snid, m.payload(),
                    peer.certificateChain().get(0).getPublicKey());
            Optional<StoredCheckpoint> kept = store.auditAnchor(snid);
            String name = store.node(snid).map(NodeRecord::name).orElse("?");
            String problem = kept.map(k -> auditProblem(k.checkpoint(), c)).orElse(null);
            if (problem != null && auditReported.add(snid + ":" + c.seq() + ":" + c.hash())) {
                raise(AlarmPriority.HIGH, "audit-anchor", "Audit journal of node " + Integer.toUnsignedString(snid)
                        + " (" + name + ") " + problem);
            }
            if (kept.isEmpty() || c.seq() > kept.get().checkpoint().seq()) {
                store.putAuditAnchor(snid, new StoredCheckpoint(c, m.payload().path("signature").asText(), Instant.now()));
            }
            return (JsonNode) ClusterMessages.encode(new ClusterMessages.CheckpointStored(
                    store.auditAnchor(snid).orElseThrow().checkpoint()));
        }, executor);
    }

    /** What is wrong with a node's journal given the checkpoint {@code k} kept of it, or null. */
    private static String auditProblem(AuditCheckpoint k, AuditCheckpoint c) {
        if (c.seq() < k.seq()) {
            return "went back: record " + k.seq() + " was anchored here on " + k.time() + ", now its journal"
                    + " ends at record " + c.seq() + " (records " + (c.seq() + 1) + ".." + k.seq()
                    + " are gone: tail cut, files deleted or journal started over)";
        } else if (c.seq() == k.seq() && !c.hash().equals(k.hash())) {
            return "was rewritten: record " + k.seq() + " anchored here on " + k.time()
                    + " had another hash";
        }
        return null;
    }

    CompletionStage<JsonNode> onRenew(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            RenewalRequest req = ClusterMessages.renewalRequest(m.payload());
            CertificateRole role = req.role();
            X509Certificate cert = ca.renew(req, SpiffeIds.parse(peer.certificateChain().get(0)));
            if (role == CertificateRole.CHANNEL) {
                store.node(snid).ifPresent(r -> store.putNode(r.withCertExpiry(cert.getNotAfter().toInstant())));
            }
            LOG.info("Renewed the {} certificate of node {} (expires {})", role, snid, cert.getNotAfter().toInstant());
            return (JsonNode) ClusterMessages.encode(new ClusterMessages.Renewed(cert));
        }, executor);
    }

    void onStatus(SccPeer peer, SccMessage m) {
        snidOf(peer).ifPresent(n -> heartbeats.put(n, Instant.now()));
    }

    @Override
    public void peerConnected(SccPeer peer) {
        snidOf(peer).ifPresent(n -> heartbeats.put(n, Instant.now()));
    }

    @Override
    public void peerDisconnected(SccPeer peer, String reason) {
        snidOf(peer).ifPresent(n -> onServerThread(() -> {
            SccServer s = server.get();
            if (s != null && s.peer(peer.id()).isPresent()) {
                return; // a newer connection of the same node replaced this one
            }
            store.node(n).filter(r -> r.state() == NodeState.CONNECTED)
                    .ifPresent(r -> store.putNode(r.withState(NodeState.DISCONNECTED).withHeartbeat(heartbeats.get(n))));
            LOG.info("Node {} disconnected: {}", n, reason);
            labelKeys.connectionsChanged();
        }));
    }

    @Override
    public void peerReauthenticated(SccPeer peer) {
        snidOf(peer).ifPresent(n -> onServerThread(() -> store.node(n)
                .ifPresent(r -> store.putNode(r.withCertExpiry(peer.certificateExpiry())))));
    }

    /**
     * Runs SCC events on the server's thread; after the server closed they are dropped (the listener's
     * connections close asynchronously, after the executor has shut down).
     */
    private void onServerThread(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException closed) {
            LOG.debug("Security Server closed; SCC event dropped");
        }
    }

    // ---------------------------------------------------------------- join

    /** See {@link org.opendsi.ss.SecurityServer#createToken}. */
    String createToken(int snid, String name, Duration ttl, boolean replace) {
        if (snid == cfg.snid()) {
            throw new IllegalArgumentException("SnID " + snid + " is this Security Server's own");
        }
        return ca.joinTokens().create(ttl, snid, name, replace) + "." + ca.rootFingerprint();
    }

    /** The join endpoint's handler: a node with a valid token gets its certificates. */
    NodeCertificates join(String token, JoinRequest request, int snid, String address) throws JoinException {
        if (snid == cfg.snid()) {
            throw new JoinException("INVALID", "join refused: SnID " + snid + " is the Security Server's own");
        }
        if (store.compromised().contains(snid)) {
            throw new JoinException("COMPROMISED", "join refused: SnID " + snid + " was declared compromised; "
                    + "it cannot join again");
        }
        boolean replaces = !ca.liveCertificates(snid).isEmpty();
        NodeCertificates certs = ca.join(token, request, snid);
        if (replaces) {
            // a replacement: the former node's certificates were revoked; push that at once and drop
            // its SCC session, as dsi:compromised does
            housekeeping.pushCrl(ca.crl());
            SccServer s = server.get();
            if (s != null) {
                s.revalidatePeers();
            }
            LOG.warn("Node {} replaced by a join of '{}' (token created with --replace): its former certificates "
                    + "are revoked", snid, request.nodeName());
        }
        NodeRecord prev = store.node(snid).orElse(null);
        store.putNode(new NodeRecord(snid, request.nodeName(), address, NodeState.JOINED,
                0, null, prev == null ? null : prev.lastHeartbeat(), certs.channel().getNotAfter().toInstant(),
                Instant.now()));
        joins.incrementAndGet();
        labelKeys.membershipChanged(); // every node gets its pair with the new one
        return certs;
    }

    // ---------------------------------------------------------------- compromise

    /** See {@link org.opendsi.ss.SecurityServer#compromised}. */
    CompromiseResult compromised(int snid) throws Exception {
        long t0 = System.nanoTime();
        if (snid == cfg.snid()) {
            throw new IllegalArgumentException("SnID " + snid + " is this Security Server itself");
        }
        int revoked = ca.revokeNode(snid, CRLReason.KEY_COMPROMISE).size();
        store.addCompromised(snid);
        compromises.incrementAndGet();
        NodeRecord rec = store.node(snid).orElse(new NodeRecord(snid, "?", "", NodeState.COMPROMISED, 0, null, null,
                null, null));
        store.putNode(rec.withState(NodeState.COMPROMISED));
        housekeeping.pushCrl(ca.crl());
        CutOff cut = cutOff(snid);
        // every other node loses its pair with it now (it gets nothing more), then the keys rotate
        labelKeys.nodeCompromised(snid);
        Amendment policy = refuseLabelsOf(snid);
        PolicyDistribution.Acks acks = distribution.awaitAcked(cut.others(), policy.version(), ISOLATION_WAIT);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        raise(AlarmPriority.CRITICAL, "security-server", "node " + Integer.toUnsignedString(snid) + " (" + rec.name()
                + ") declared compromised: " + revoked + " certificate(s) revoked, "
                + (cut.disconnected() ? "disconnected, " : "")
                + (policy.amended() ? "policy version " + policy.version() + " refuses its labels"
                        : "not named in the policy")
                + "; " + acks.acked().size() + "/" + cut.others().size() + " other node(s) isolated it in " + millis
                + " ms");
        return new CompromiseResult(snid, revoked, policy.version(), policy.amended(), cut.disconnected(), acks.acked(),
                acks.pending(), millis);
    }

    /** Drops the compromised node's SCC connection and those the new CRL revokes. */
    private CutOff cutOff(int snid) {
        boolean disconnected = false;
        List<Integer> others = new ArrayList<>();
        SccServer s = server.get();
        if (s != null) {
            for (SccPeer peer : s.peers()) {
                Optional<Integer> sn = snidOf(peer);
                if (sn.isPresent() && sn.get() == snid) {
                    disconnected |= s.disconnect(peer.id(), "node " + snid + " was declared compromised");
                } else if (sn.isPresent()) {
                    others.add(sn.get());
                }
            }
            s.revalidatePeers();
        }
        return new CutOff(disconnected, others);
    }

    /** Makes current a policy version that refuses the compromised node's labels, if the policy names it. */
    private Amendment refuseLabelsOf(int snid) throws PolicyException {
        byte[] src = policyService.currentSource().orElse(null);
        byte[] next = src == null ? null : PolicyAmender.markCompromised(src, snid);
        if (next != null && !Arrays.equals(next, src)) {
            PolicyVersion pv = policyService.updateSource("dsi:compromised " + Integer.toUnsignedString(snid), next);
            return new Amendment(pv.version(), true);
        }
        return new Amendment(policyService.current().map(PolicyVersion::version).orElse(0L), false);
    }

    // ---------------------------------------------------------------- records and alarms

    /** The node records, with the latest heartbeats. */
    List<NodeRecord> nodes() {
        List<NodeRecord> out = new ArrayList<>();
        for (NodeRecord r : store.nodes()) {
            Instant hb = heartbeats.get(r.snid());
            out.add(hb != null ? r.withHeartbeat(hb) : r);
        }
        return out;
    }

    List<StoredAlarm> alarms() {
        return store.alarms();
    }

    /** See {@link org.opendsi.ss.SecurityServer#ackAlarm}. */
    boolean ackAlarm(String id) {
        for (StoredAlarm a : store.alarms()) {
            if (a.alarm().id().equals(id) || a.alarm().id().startsWith(id) && id.length() >= 8) {
                return a.acked() || store.updateAlarm(a.ack(Instant.now()));
            }
        }
        return false;
    }

    int openAlarms() {
        return (int) store.alarms().stream().filter(a -> !a.acked()).count();
    }

    /** An alarm of this Security Server's own node. */
    Alarm raise(AlarmPriority priority, String source, String text) {
        Alarm a = new Alarm(UUID.randomUUID().toString(), priority, cfg.snid(), cfg.name(), Instant.now(), source, text);
        store.addAlarm(new StoredAlarm(a, Instant.now(), null));
        LOG.info("Alarm {}: [{}] {}", a.id(), priority, text);
        return a;
    }

    long joinsSinceStart() {
        return joins.get();
    }

    long compromisesSinceStart() {
        return compromises.get();
    }
}
