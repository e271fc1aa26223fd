package org.opendsi.ss.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.JoinRequest;
import org.opendsi.keys.NodeCertificates;
import org.opendsi.keys.RenewalRequest;
import org.opendsi.keys.SpiffeId;
import org.opendsi.keys.SpiffeIds;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPeerListener;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.CompromiseResult;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoredCheckpoint;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.cluster.protocol.AuditCheckpoints;
import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.JoinException;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.PolicyMessage;
import org.opendsi.cluster.protocol.PolicySignatures;
import org.opendsi.cluster.protocol.SignedPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Security Server (for one configuration): CA, store, SCC hub, join endpoint, signed
 * policy distribution, alarms, compromise response, and the hooks of the label key authority
 * ({@link LabelKeyAuthority}). Built and torn down by {@link SecurityServerComponent}.
 */
public final class ServerRuntime implements SecurityServer, AlarmService, PolicyListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServerRuntime.class);
    /** How long dsi:compromised waits for the other nodes' acks. */
    static final Duration ISOLATION_WAIT = Duration.ofSeconds(5);
    /** Flows {@link #denials} keeps: a flood of distinct flows evicts the quietest. */
    static final int MAX_DENIAL_FLOWS = 4096;
    /** How often this node's own denials join the view (the managers send theirs as often). */
    static final Duration DENIAL_FLUSH = Duration.ofMillis(500);

    private record Current(SignedPolicy envelope, byte[] xml) {
    }

    private final NodeConfig cfg;
    private final PolicyService policyService;
    private final SccTransport transport;
    private final ServerStore store;
    private final ClusterCa ca;
    private final LocalLabelKeys localKeys;
    private final LabelKeyAuthority labelKeys;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dsi-security-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<Integer, Instant> heartbeats = new ConcurrentHashMap<>();
    private final Object ackMonitor = new Object();
    /** Counted since start, for {@link #joinsSinceStart()} and {@link #compromisesSinceStart()}. */
    private final java.util.concurrent.atomic.AtomicLong joins = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong compromises = new java.util.concurrent.atomic.AtomicLong();
    private volatile Credentials credentials;
    private volatile SccServer server;
    private volatile JoinServer joinServer;
    private volatile String sccError;
    private volatile String joinError;
    private volatile Current current;
    private volatile java.math.BigInteger pushedCrl = java.math.BigInteger.ZERO;
    /**
     * Period of {@link #housekeeping()} (CRL push, own certificate renewal): 1 hour. Settable (before
     * {@link #start()}) only so that tests with certificates valid for seconds can run it more often.
     */
    private volatile Duration housekeepingInterval = Duration.ofHours(1);
    /** Denials the nodes report (and this node's own), for {@link #denials} and the live view. */
    private final DenialWindow denialWindow = new DenialWindow(DENIAL_WINDOW, MAX_DENIAL_FLOWS,
            java.time.Clock.systemUTC());
    /** Command-to-ack times of the policy versions (dsi_ss_policy_propagation_seconds). */
    private final PropagationRecorder propagation = new PropagationRecorder();
    /** How this server shares its store (lease, health); a single server on files by default. */
    private volatile SharedMode shared = SharedMode.SOLE;
    /** This node's own denials, drained into {@link #denialWindow} (null: none followed). */
    private volatile org.opendsi.cluster.protocol.DenialDigest localDenials;

    public ServerRuntime(NodeConfig cfg, PolicyService policyService, SccTransport transport, ServerStore store,
            ClusterCa ca) {
        this(cfg, policyService, transport, store, ca, LabelKeySettings.DEFAULTS, () -> null);
    }

    /**
     * @param localDsm this node's DSM (null while none is bound): the Security Server's own node holds
     *                 label keys too
     */
    ServerRuntime(NodeConfig cfg, PolicyService policyService, SccTransport transport, ServerStore store,
            ClusterCa ca, LabelKeySettings keySettings, java.util.function.Supplier<org.opendsi.dsm.Dsm> localDsm) {
        this.cfg = cfg;
        this.policyService = policyService;
        this.transport = transport;
        this.store = store;
        this.ca = ca;
        this.localKeys = new LocalLabelKeys(localDsm);
        this.labelKeys = new LabelKeyAuthority(store, new KeyNodes(), keySettings, java.time.Clock.systemUTC());
    }

    /** Where the label key authority's sets go: the SCC peers, and this node's own DSM. */
    private final class KeyNodes implements LabelKeyAuthority.Nodes {
        private static final String LOCAL = "local";
        /** SnID of each peer id (the id is the certificate's URI SAN): asked on every ack, parsed once. */
        private final Map<String, Optional<Integer>> snids = new ConcurrentHashMap<>();

        @Override
        public Set<Integer> members() {
            Set<Integer> compromised = store.compromised();
            Set<Integer> out = new java.util.HashSet<>();
            out.add(cfg.snid());
            for (NodeRecord r : store.nodes()) {
                if (!compromised.contains(r.snid()) && r.state() != NodeState.COMPROMISED) {
                    out.add(r.snid());
                }
            }
            return out;
        }

        @Override
        public Map<Integer, String> connected() {
            Map<Integer, String> out = new java.util.HashMap<>();
            SccServer s = server;
            if (s != null) {
                for (SccPeer p : s.peers()) {
                    snids.computeIfAbsent(p.id(), id -> snidOf(p)).ifPresent(n -> out.put(n, p.id()));
                }
            }
            if (localKeys.present()) {
                out.put(cfg.snid(), LOCAL);
            }
            return out;
        }

        @Override
        public void send(int snid, String route, ClusterMessages.LabelKeySet set) {
            if (LOCAL.equals(route)) {
                labelKeys.onAck(snid, localKeys.install(set));
                return;
            }
            SccServer s = server;
            if (s == null || store.compromised().contains(snid)) {
                return;
            }
            s.publish(route, ClusterTopics.LABEL_KEYS, ClusterMessages.encode(set), SccPriority.ALARM)
                    .whenComplete((x, e) -> {
                        if (e != null) {
                            LOG.warn("Label keys (send epoch {}) not sent to node {}: {}", set.sendEpoch(), snid,
                                    e.toString());
                        }
                    });
        }
    }

    /** This node's DSM came or went: its own label keys are installed (again). */
    void localDsmChanged() {
        labelKeys.nodeConnected(cfg.snid());
        labelKeys.connectionsChanged();
    }

    public void start() {
        if (shared != SharedMode.SOLE) {
            StoredPolicy.adopt(store, policyService);
        }
        for (NodeRecord r : store.nodes()) {
            if (r.state() == NodeState.CONNECTED) {
                store.putNode(r.withState(NodeState.DISCONNECTED));
            }
        }
        credentials = ca.serverCredentials(List.of(), List.of());
        labelKeys.start(); // also installs this node's own keys
        startScc();
        try {
            joinServer = new JoinServer(new InetSocketAddress(cfg.listenHost(), cfg.joinPort()), () -> credentials,
                    this::join, () -> server != null ? server.localAddress().getPort() : cfg.listenPort(), ca::crl);
            joinError = null;
        } catch (IOException e) {
            joinError = "cannot listen on " + cfg.listenHost() + ":" + cfg.joinPort() + ": " + e.getMessage();
            LOG.error("Security Server join endpoint: {}", joinError);
        }
        long hk = housekeepingInterval.toMillis();
        executor.scheduleWithFixedDelay(this::housekeeping, hk, hk, TimeUnit.MILLISECONDS);
        long df = DENIAL_FLUSH.toMillis();
        executor.scheduleWithFixedDelay(this::flushLocalDenials, df, df, TimeUnit.MILLISECONDS);
        LOG.info("Security Server of cluster '{}' started (role {}, root {}); SCC {}, join {}", cfg.cluster(),
                cfg.role().label(), ca.rootFingerprint(), sccAddress(), joinAddress());
    }

    private SccCredentials sccCredentials(Credentials c) {
        java.util.function.Supplier<java.util.Collection<java.security.cert.X509CRL>> crls = () -> List.of(ca.crl());
        return new SccCredentials(c.privateKey(), c.chain(), c.trustAnchors(), crls,
                org.opendsi.cluster.protocol.ClusterTrust.nodesOf(cfg.cluster(), c.trustAnchors(), crls));
    }

    private void startScc() {
        SccCredentials sc = sccCredentials(credentials);
        SccOptions opts = SccOptions.defaults().toBuilder()
                .heartbeatInterval(Duration.ofSeconds(cfg.heartbeatSeconds()))
                .heartbeatTimeout(Duration.ofSeconds(cfg.heartbeatSeconds() * 3L)).build();
        SccServer s = transport.createServer(sc, opts, new InetSocketAddress(cfg.listenHost(), cfg.listenPort()));
        s.onRequest(ClusterTopics.HELLO, this::onHello);
        s.onRequest(ClusterTopics.ALARM, this::onAlarm);
        s.onRequest(ClusterTopics.RENEW, this::onRenew);
        s.onRequest(ClusterTopics.AUDIT_CHECKPOINT, this::onAuditCheckpoint);
        s.onRequest(ClusterTopics.POLICY_SNAPSHOT, (peer, m) -> {
            requireNode(peer); // every SCC peer is a node today (ClusterTrust); said here too, where it matters
            Current cur = current;
            return CompletableFuture.completedFuture(cur == null ? Json.object().put("none", true)
                    : PolicyMessage.full(cur.envelope(), cur.xml()).toJson());
        });
        s.subscribe(ClusterTopics.POLICY_ACK, this::onAck);
        s.subscribe(ClusterTopics.STATUS, this::onStatus);
        s.subscribe(ClusterTopics.DENIALS, this::onDenials);
        s.subscribe(ClusterTopics.LABEL_KEYS_ACK, (peer, m) -> snidOf(peer).ifPresent(n -> {
            try {
                labelKeys.onAck(n, ClusterMessages.labelKeysAck(m.payload()));
            } catch (RuntimeException e) {
                LOG.warn("Node {}: malformed label key acknowledgement: {}", n, e.toString());
            }
        }));
        s.addPeerListener(new SccPeerListener() {
            @Override
            public void peerConnected(SccPeer peer) {
                snidOf(peer).ifPresent(n -> heartbeats.put(n, Instant.now()));
            }

            @Override
            public void peerDisconnected(SccPeer peer, String reason) {
                snidOf(peer).ifPresent(n -> onServerThread(() -> {
                    if (server != null && server.peer(peer.id()).isPresent()) {
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
        });
        try {
            s.start();
            server = s;
            sccError = null;
        } catch (SccException e) {
            sccError = "cannot listen on " + cfg.listenHost() + ":" + cfg.listenPort() + ": " + e.getMessage();
            s.close();
            // e.g. the port not yet released after a restart of the listener (certificate renewal):
            // try again soon instead of staying deaf until an operator notices
            if (!executor.isShutdown()) {
                long delay = sccRetryMillis;
                sccRetryMillis = Math.min(delay * 2, SCC_RETRY_MAX_MILLIS);
                LOG.error("Security Server SCC: {}; retrying in {} ms", sccError, delay);
                executor.schedule(() -> {
                    if (server == null && !executor.isShutdown()) {
                        startScc();
                    }
                }, delay, TimeUnit.MILLISECONDS);
            } else {
                LOG.error("Security Server SCC: {}", sccError);
            }
            return;
        }
        sccRetryMillis = SCC_RETRY_FIRST_MILLIS;
    }

    /**
     * Runs SCC events on the server's thread; after {@link #close()} they are dropped (the listener's
     * connections close asynchronously, after the executor has shut down).
     */
    private void onServerThread(Runnable task) {
        try {
            executor.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            LOG.debug("Security Server closed; SCC event dropped");
        }
    }

    /** Retries of a listener that could not start: 2 s, doubling, at most every 5 min. */
    static final long SCC_RETRY_FIRST_MILLIS = 2_000;
    static final long SCC_RETRY_MAX_MILLIS = 300_000;
    private volatile long sccRetryMillis = SCC_RETRY_FIRST_MILLIS;

    private void housekeeping() {
        try {
            X509CRL crl = ca.crl();
            java.math.BigInteger n = ca.crlNumber();
            if (!n.equals(pushedCrl)) {
                pushCrl(crl);
            }
            Credentials c = ca.serverCredentials(List.of(), List.of());
            if (!c.leaf().equals(credentials.leaf())) {
                credentials = c;
                // Fix (found by CertificateRenewalTest): the current policy version was signed with the
                // old certificate, which expires a third of a lifetime later; nodes that join or come
                // back after that refused it ("signer certificate not trusted"). Re-sign the same version
                // (same content and sha256, so nodes that already run it just ack) with the new key.
                Current cur = current;
                if (cur != null) {
                    SignedPolicy e = cur.envelope();
                    current = new Current(PolicySignatures.sign(cfg.cluster(), e.version(), cur.xml(), e.digest(),
                            e.name(), c.privateKey(), c.chain()), cur.xml());
                }
                // Swapped in place: the listener stays open and no node connection is dropped; nodes
                // re-authenticate the SS over their open connections, new handshakes present the new one.
                // (A listener that is not up yet takes `credentials` when its retry starts it.)
                SccServer s = server;
                if (s != null) {
                    s.updateCredentials(sccCredentials(c)).whenComplete((took, e) -> LOG.info(
                            "Security Server certificate renewed in place (expires {}); {} node connection(s) took it{}",
                            c.leaf().getNotAfter().toInstant(), took == null ? 0 : took, e == null ? "" : ": " + e));
                }
            }
            SccServer s = server;
            if (s != null) {
                // a connection never outlives the certificate it was authenticated with: a node that
                // did not present its renewed certificate before the old one expired reconnects
                for (SccPeer p : s.revalidatePeers()) {
                    LOG.warn("Node connection {} closed: its certificate is no longer valid", p.id());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Security Server housekeeping failed: {}", e.toString(), e);
        }
    }

    private void pushCrl(X509CRL crl) {
        SccServer s = server;
        if (s != null) {
            s.publish(ClusterTopics.CRL, ClusterMessages.encode(new ClusterMessages.CrlUpdate(crl)), SccPriority.ALARM);
            pushedCrl = ca.crlNumber();
        }
    }

    // ---------------------------------------------------------------- SCC handlers

    static Optional<Integer> snidOf(SccPeer peer) {
        try {
            SpiffeId id = SpiffeIds.parse(peer.certificateChain().get(0));
            return id.kind() == SpiffeId.Kind.NODE ? Optional.of(id.snid()) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private int requireNode(SccPeer peer) {
        return snidOf(peer).orElseThrow(() -> new IllegalArgumentException("peer " + peer.id() + " is not a node"));
    }

    private java.util.concurrent.CompletionStage<JsonNode> onHello(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            if (store.compromised().contains(snid)) {
                server.disconnect(peer.id(), "node " + snid + " was declared compromised");
                throw new IllegalStateException("node " + snid + " was declared compromised");
            }
            ClusterMessages.Hello hello = ClusterMessages.hello(m.payload());
            long version = hello.signedVersion();
            String sha = hello.sha256();
            NodeRecord r = store.node(snid).orElse(new NodeRecord(snid, "?", "", NodeState.JOINED, 0, null, null,
                    null, null));
            long acked = 0;
            if (version > 0) {
                Optional<byte[]> src = store.policy(version);
                if (src.isPresent() && org.opendsi.policy.PolicyPatch.sha256Hex(src.get()).equals(sha)) {
                    acked = version;
                }
            }
            heartbeats.put(snid, Instant.now());
            r = r.withIdentity(hello.name().isEmpty() ? r.name() : hello.name(),
                    hello.address().isEmpty() ? r.address() : hello.address())
                    .withState(NodeState.CONNECTED).withHeartbeat(Instant.now()).withCertExpiry(peer.certificateExpiry())
                    .withAck(acked, null);
            store.putNode(r);
            LOG.info("Node {} ({}) connected from {}, running signed policy version {}", snid, r.name(),
                    peer.remoteAddress(), version);
            Current cur = current;
            ClusterMessages.HelloReply reply = new ClusterMessages.HelloReply(cur == null ? 0 : cur.envelope().version(),
                    ca.crl(), store.auditAnchor(snid).map(StoredCheckpoint::checkpoint));
            // its label keys first (on the ALARM lane), so it holds them before it labels under a new policy
            labelKeys.nodeConnected(snid);
            executor.execute(() -> sendPolicy(peer.id(), snid));
            return (JsonNode) ClusterMessages.encode(reply);
        }, executor);
    }

    private java.util.concurrent.CompletionStage<JsonNode> onAlarm(SccPeer peer, SccMessage m) {
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

    /** (snid, seq) of journals already reported as gone back or rewritten: one alarm each. */
    private final Set<String> auditReported = ConcurrentHashMap.newKeySet();

    /**
     * A node's audit checkpoint, signed with its channel key. Kept when it is the newest; a
     * checkpoint behind the kept one (a cut tail, deleted files, a journal started over) or with
     * the same number but another hash (a rewritten chain) raises a HIGH alarm, once.
     */
    private java.util.concurrent.CompletionStage<JsonNode> onAuditCheckpoint(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            AuditCheckpoint c = AuditCheckpoints.verified(snid, m.payload(),
                    peer.certificateChain().get(0).getPublicKey());
            Optional<StoredCheckpoint> kept = store.auditAnchor(snid);
            String name = store.node(snid).map(NodeRecord::name).orElse("?");
            if (kept.isPresent()) {
                AuditCheckpoint k = kept.get().checkpoint();
                String problem = null;
                if (c.seq() < k.seq()) {
                    problem = "went back: record " + k.seq() + " was anchored here on " + k.time() + ", now its journal"
                            + " ends at record " + c.seq() + " (records " + (c.seq() + 1) + ".." + k.seq()
                            + " are gone: tail cut, files deleted or journal started over)";
                } else if (c.seq() == k.seq() && !c.hash().equals(k.hash())) {
                    problem = "was rewritten: record " + k.seq() + " anchored here on " + k.time()
                            + " had another hash";
                }
                if (problem != null && auditReported.add(snid + ":" + c.seq() + ":" + c.hash())) {
                    raise(AlarmPriority.HIGH, "audit-anchor", "Audit journal of node " + Integer.toUnsignedString(snid)
                            + " (" + name + ") " + problem);
                }
            }
            if (kept.isEmpty() || c.seq() > kept.get().checkpoint().seq()) {
                store.putAuditAnchor(snid, new StoredCheckpoint(c, m.payload().path("signature").asText(), Instant.now()));
            }
            return (JsonNode) ClusterMessages.encode(new ClusterMessages.CheckpointStored(
                    store.auditAnchor(snid).orElseThrow().checkpoint()));
        }, executor);
    }

    private java.util.concurrent.CompletionStage<JsonNode> onRenew(SccPeer peer, SccMessage m) {
        return CompletableFuture.supplyAsync(() -> {
            int snid = requireNode(peer);
            RenewalRequest req = ClusterMessages.renewalRequest(m.payload());
            CertificateRole role = req.role();
            java.security.cert.X509Certificate cert = ca.renew(req, SpiffeIds.parse(peer.certificateChain().get(0)));
            if (role == CertificateRole.CHANNEL) {
                store.node(snid).ifPresent(r -> store.putNode(r.withCertExpiry(cert.getNotAfter().toInstant())));
            }
            LOG.info("Renewed the {} certificate of node {} (expires {})", role, snid, cert.getNotAfter().toInstant());
            return (JsonNode) ClusterMessages.encode(new ClusterMessages.Renewed(cert));
        }, executor);
    }

    private void onAck(SccPeer peer, SccMessage m) {
        Optional<Integer> sn = snidOf(peer);
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

    private record PendingAck(long version, boolean ok, String error) {
        PendingAck newer(PendingAck other) {
            return other.version >= version ? other : this;
        }
    }

    private final Map<Integer, PendingAck> pendingAcks = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean ackFlushScheduled =
            new java.util.concurrent.atomic.AtomicBoolean();

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

    private void onStatus(SccPeer peer, SccMessage m) {
        snidOf(peer).ifPresent(n -> heartbeats.put(n, Instant.now()));
    }

    // ---------------------------------------------------------------- policy distribution

    @Override
    public void policyApplied(PolicyVersion version, CompiledTable table) {
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
            // stored first (fenced by the lease when the store is shared): a version is distributed only once
            // it is on record where a standby taking over finds it
            store.putPolicy(v.version(), xml);
            if (!shared.mayAct().getAsBoolean()) {
                throw new org.opendsi.ss.NotActiveException("policy version " + v.version() + " not signed",
                        shared.lease().get());
            }
            Credentials c = credentials;
            env = PolicySignatures.sign(cfg.cluster(), v.version(), xml, v.summary().digest(), v.summary().name(),
                    c.privateKey(), c.chain());
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
        SccServer s = server;
        int sent = 0;
        if (s != null) {
            for (SccPeer peer : s.peers()) {
                Optional<Integer> sn = snidOf(peer);
                if (sn.isPresent() && sendPolicy(peer.id(), sn.get())) {
                    sent++;
                }
            }
        }
        LOG.info("Policy version {} signed and sent to {} node(s)", v.version(), sent);
    }

    /** Sends the current version to one node unless it acked it already (a patch when worth it). */
    private boolean sendPolicy(String peerId, int snid) {
        Current cur = current;
        SccServer s = server;
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

    // ---------------------------------------------------------------- join

    private NodeCertificates join(String token, JoinRequest request, int snid, String address) throws JoinException {
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
            pushCrl(ca.crl());
            SccServer s = server;
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

    // ---------------------------------------------------------------- SecurityServer

    @Override
    public List<NodeRecord> nodes() {
        List<NodeRecord> out = new ArrayList<>();
        for (NodeRecord r : store.nodes()) {
            Instant hb = heartbeats.get(r.snid());
            out.add(hb != null ? r.withHeartbeat(hb) : r);
        }
        return out;
    }

    @Override
    public List<StoredAlarm> alarms() {
        return store.alarms();
    }

    @Override
    public boolean ackAlarm(String id) {
        for (StoredAlarm a : store.alarms()) {
            if (a.alarm().id().equals(id) || a.alarm().id().startsWith(id) && id.length() >= 8) {
                return a.acked() || store.updateAlarm(a.ack(Instant.now()));
            }
        }
        return false;
    }

    @Override
    public String createToken(int snid, String name, Duration ttl, boolean replace) {
        if (snid == cfg.snid()) {
            throw new IllegalArgumentException("SnID " + snid + " is this Security Server's own");
        }
        return ca.joinTokens().create(ttl, snid, name, replace) + "." + ca.rootFingerprint();
    }

    @Override
    public CompromiseResult compromised(int snid) throws Exception {
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
        pushCrl(ca.crl());
        boolean disconnected = false;
        List<Integer> others = new ArrayList<>();
        SccServer s = server;
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
        // every other node loses its pair with it now (it gets nothing more), then the keys rotate
        labelKeys.nodeCompromised(snid);
        long version = 0;
        boolean amended = false;
        byte[] src = policyService.currentSource().orElse(null);
        byte[] next = src == null ? null : PolicyAmender.markCompromised(src, snid);
        if (next != null && !java.util.Arrays.equals(next, src)) {
            PolicyVersion pv = policyService.updateSource("dsi:compromised " + Integer.toUnsignedString(snid), next);
            version = pv.version();
            amended = true;
        } else {
            version = policyService.current().map(PolicyVersion::version).orElse(0L);
        }
        List<Integer> acked = new ArrayList<>();
        List<Integer> pending = new ArrayList<>(others);
        long deadline = System.nanoTime() + ISOLATION_WAIT.toNanos();
        synchronized (ackMonitor) {
            while (true) {
                acked.clear();
                pending.clear();
                for (int o : others) {
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
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        raise(AlarmPriority.CRITICAL, "security-server", "node " + Integer.toUnsignedString(snid) + " (" + rec.name()
                + ") declared compromised: " + revoked + " certificate(s) revoked, "
                + (disconnected ? "disconnected, " : "")
                + (amended ? "policy version " + version + " refuses its labels" : "not named in the policy")
                + "; " + acked.size() + "/" + others.size() + " other node(s) isolated it in " + millis + " ms");
        return new CompromiseResult(snid, revoked, version, amended, disconnected, List.copyOf(acked),
                List.copyOf(pending), millis);
    }

    @Override
    public ServerStatus status() {
        SccServer s = server;
        int open = (int) store.alarms().stream().filter(a -> !a.acked()).count();
        return new ServerStatus(cfg.role().label(), cfg.cluster(), cfg.snid(), sccAddress(), joinAddress(),
                ca.rootFingerprint(), current == null ? 0 : current.envelope().version(),
                s == null ? 0 : s.peers().size(), store.nodes().size(), open);
    }

    private String sccAddress() {
        SccServer s = server;
        if (s != null) {
            InetSocketAddress a = s.localAddress();
            return a.getHostString() + ":" + a.getPort();
        }
        return sccError == null ? "not started" : sccError;
    }

    private String joinAddress() {
        JoinServer j = joinServer;
        if (j != null) {
            InetSocketAddress a = j.localAddress();
            return a.getHostString() + ":" + a.getPort();
        }
        return joinError == null ? "not started" : joinError;
    }

    @Override
    public long joinsSinceStart() {
        return joins.get();
    }

    @Override
    public long compromisesSinceStart() {
        return compromises.get();
    }

    /** This node's own denials (its auditing followed by the component), or null. */
    void localDenials(org.opendsi.cluster.protocol.DenialDigest digest) {
        localDenials = digest;
    }

    private void flushLocalDenials() {
        org.opendsi.cluster.protocol.DenialDigest d = localDenials;
        if (d != null && !d.isEmpty()) {
            org.opendsi.cluster.protocol.DenialDigest.Report r = d.take().attributedTo(cfg.snid());
            denialWindow.add(r.flows(), r.unattributed());
        }
    }

    /**
     * A node's denial report: every flow is attributed to the node of the channel it came on, so a node
     * can speak only for its own DSM; a compromised node is not heard.
     */
    private void onDenials(SccPeer peer, SccMessage m) {
        Optional<Integer> snid = snidOf(peer);
        if (snid.isEmpty() || store.compromised().contains(snid.get())) {
            return;
        }
        try {
            org.opendsi.cluster.protocol.DenialDigest.Report r =
                    org.opendsi.cluster.protocol.DenialDigest.decode(m.payload(), snid.get());
            denialWindow.add(r.flows(), r.unattributed());
        } catch (RuntimeException e) {
            LOG.warn("Node {}: malformed denial report: {}", Integer.toUnsignedString(snid.get()), e.toString());
        }
    }

    @Override
    public org.opendsi.ss.PolicyPropagation policyPropagation() {
        return propagation.snapshot();
    }

    @Override
    public List<org.opendsi.ss.NodeChannel> channels() {
        SccServer s = server;
        List<org.opendsi.ss.NodeChannel> out = new ArrayList<>();
        if (s != null) {
            for (SccPeer p : s.peers()) {
                snidOf(p).ifPresent(n -> out.add(new org.opendsi.ss.NodeChannel(n, String.valueOf(p.remoteAddress()),
                        p.connectedSince(), p.queued(SccPriority.ALARM), p.queued(SccPriority.CONTROL),
                        p.queued(SccPriority.BULK))));
            }
        }
        out.sort(java.util.Comparator.comparingLong(c -> Integer.toUnsignedLong(c.snid())));
        return out;
    }

    @Override
    public List<org.opendsi.ss.DenialFlow> denials(Instant since) {
        return denialWindow.since(since);
    }

    @Override
    public AutoCloseable followDenials(java.util.function.Consumer<List<org.opendsi.ss.DenialFlow>> listener) {
        return denialWindow.follow(listener);
    }

    @Override
    public LabelKeyStatus labelKeys() {
        return labelKeys.status();
    }

    @Override
    public CompletableFuture<Integer> rotateLabelKeys() {
        return labelKeys.rotate();
    }

    private final Object publishMonitor = new Object();
    /** Why a version made current here was not distributed (kept for the operator's command). */
    private final Map<Long, String> publishErrors = new ConcurrentHashMap<>();

    @Override
    public void awaitPublished(long version, Duration timeout) throws InterruptedException {
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

    @Override
    public org.opendsi.ss.LeaseStatus lease() {
        return shared.lease().get();
    }

    @Override
    public org.opendsi.ss.StoreHealth storeHealth() {
        return shared.health().get();
    }

    // ---------------------------------------------------------------- AlarmService

    @Override
    public Alarm raise(AlarmPriority priority, String source, String text) {
        Alarm a = new Alarm(UUID.randomUUID().toString(), priority, cfg.snid(), cfg.name(), Instant.now(), source, text);
        store.addAlarm(new StoredAlarm(a, Instant.now(), null));
        LOG.info("Alarm {}: [{}] {}", a.id(), priority, text);
        return a;
    }

    /**
     * Runs this server as the active one of several sharing a store: it signs only while {@code mode} says it
     * may still act, and reports the lease and the store's health. Call before {@link #start()}.
     */
    void sharedMode(SharedMode mode) {
        this.shared = mode;
    }

    /** For tests: how often to run the housekeeping (default 1 hour); call before {@link #start()}. */
    public void housekeepingInterval(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("housekeeping interval must be positive, not " + interval);
        }
        this.housekeepingInterval = interval;
    }

    public ClusterCa ca() {
        return ca;
    }

    public ServerStore store() {
        return store;
    }

    public Optional<SignedPolicy> currentEnvelope() {
        Current c = current;
        return c == null ? Optional.empty() : Optional.of(c.envelope());
    }

    /** For tests: the bound SCC and join addresses. */
    public InetSocketAddress sccSocketAddress() {
        return server == null ? null : server.localAddress();
    }

    public InetSocketAddress joinSocketAddress() {
        return joinServer == null ? null : joinServer.localAddress();
    }

    /** Applies a policy on this SS (tests): same as dsi:policy-update. */
    PolicyVersion update(String source, byte[] xml) throws PolicyException {
        return policyService.updateSource(source, xml);
    }

    @Override
    public void close() {
        labelKeys.close();
        JoinServer j = joinServer;
        joinServer = null;
        if (j != null) {
            j.close();
        }
        SccServer s = server;
        server = null;
        if (s != null) {
            s.close();
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
