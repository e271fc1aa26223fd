package org.opendsi.ss.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.DenialDigest;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.SignedPolicy;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.CompromiseResult;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NodeChannel;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.PolicyPropagation;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoreHealth;
import org.opendsi.ss.StoredAlarm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Security Server (for one configuration): builds its parts on one single-threaded executor
 * — {@link PolicyDistribution} (signed policy), {@link Membership} (nodes, alarms, compromise response),
 * {@link Housekeeping} (CRL push, own certificate renewal, listener retry), {@link DenialReports} and the
 * label key authority ({@link LabelKeyAuthority}) — runs the SCC hub and the join endpoint that feed them,
 * and serves them as the Security Server. Built and torn down by {@link SecurityServerComponent}.
 */
public final class ServerRuntime implements SecurityServer, AlarmService, PolicyListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServerRuntime.class);

    private final NodeConfig cfg;
    private final PolicyService policyService;
    private final SccTransport transport;
    private final ServerStore store;
    private final ClusterCa ca;
    private final LabelKeyNodes keyNodes;
    private final LabelKeyAuthority labelKeys;
    /** The server's one thread, shared by its parts: their SCC requests, publishing, ack flushes and timers. */
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dsi-security-server");
        t.setDaemon(true);
        return t;
    });
    private final PolicyDistribution distribution;
    private final Housekeeping housekeeping;
    private final Membership membership;
    private final DenialReports denials;
    /** This server's own certificate and key, renewed by {@link Housekeeping} (CertificateRenewalTest reads it). */
    private volatile Credentials credentials;
    private volatile SccServer server;
    private volatile JoinServer joinServer;
    private volatile String sccError;
    private volatile String joinError;
    /** How this server shares its store (lease, health); a single server on files by default. */
    private volatile SharedMode shared = SharedMode.SOLE;

    public ServerRuntime(NodeConfig cfg, PolicyService policyService, SccTransport transport, ServerStore store,
            ClusterCa ca) {
        this(cfg, policyService, transport, store, ca, LabelKeySettings.DEFAULTS, () -> null);
    }

    /**
     * @param localDsm this node's DSM (null while none is bound): the Security Server's own node holds
     *                 label keys too
     */
    ServerRuntime(NodeConfig cfg, PolicyService policyService, SccTransport transport, ServerStore store,
            ClusterCa ca, LabelKeySettings keySettings, Supplier<Dsm> localDsm) {
        this.cfg = cfg;
        this.policyService = policyService;
        this.transport = transport;
        this.store = store;
        this.ca = ca;
        this.keyNodes = LabelKeyNodes.create(cfg, store, () -> server, new LocalLabelKeys(localDsm), keySettings);
        this.labelKeys = keyNodes.authority();
        this.distribution = new PolicyDistribution(cfg, policyService, store, executor, () -> server,
                () -> credentials, () -> shared);
        this.housekeeping = new Housekeeping(cfg.cluster(), ca, executor, () -> server, () -> credentials,
                c -> credentials = c, distribution);
        this.membership = new Membership(cfg, policyService, store, ca, executor, () -> server, labelKeys,
                distribution, housekeeping);
        this.denials = new DenialReports(store, cfg.snid());
    }

    /** This node's DSM came or went: its own label keys are installed (again). */
    void localDsmChanged() {
        labelKeys.nodeConnected(cfg.snid());
        labelKeys.connectionsChanged();
    }

    public void start() {
        distribution.adoptStored();
        membership.markAllDisconnected();
        credentials = ca.serverCredentials(List.of(), List.of());
        labelKeys.start(); // also installs this node's own keys
        if (shared.store() != null) { // the other servers' nodes are members; a rotation waits for the standbys'
            keyNodes.follow(shared.store());
        }
        startScc();
        startJoin();
        housekeeping.schedule();
        denials.schedule(executor);
        LOG.info("Security Server of cluster '{}' started (role {}, root {}); SCC {}, join {}", cfg.cluster(),
                cfg.role().label(), ca.rootFingerprint(), sccAddress(), joinAddress());
    }

    private void startScc() {
        SccOptions opts = SccOptions.defaults().toBuilder()
                .heartbeatInterval(Duration.ofSeconds(cfg.heartbeatSeconds()))
                .heartbeatTimeout(Duration.ofSeconds(cfg.heartbeatSeconds() * 3L)).build();
        SccServer s = transport.createServer(housekeeping.sccCredentials(credentials), opts,
                new InetSocketAddress(cfg.listenHost(), cfg.listenPort()));
        route(s);
        try {
            s.start();
            server = s;
            sccError = null;
        } catch (SccException e) {
            sccError = "cannot listen on " + cfg.listenHost() + ":" + cfg.listenPort() + ": " + e.getMessage();
            s.close();
            housekeeping.listenerFailed("SCC", sccError, () -> {
                if (server == null) {
                    startScc();
                }
            });
            return;
        }
        housekeeping.listenerStarted("SCC");
    }

    /** What the nodes send goes to the part it concerns. */
    private void route(SccServer s) {
        s.onRequest(ClusterTopics.HELLO, membership::onHello);
        s.onRequest(ClusterTopics.ALARM, membership::onAlarm);
        s.onRequest(ClusterTopics.RENEW, membership::onRenew);
        s.onRequest(ClusterTopics.AUDIT_CHECKPOINT, membership::onAuditCheckpoint);
        s.onRequest(ClusterTopics.POLICY_SNAPSHOT, distribution::onSnapshot);
        s.subscribe(ClusterTopics.POLICY_ACK, distribution::onAck);
        s.subscribe(ClusterTopics.STATUS, membership::onStatus);
        s.subscribe(ClusterTopics.DENIALS, denials::onDenials);
        s.subscribe(ClusterTopics.LABEL_KEYS_ACK, keyNodes::onAck);
        s.addPeerListener(membership);
    }

    private void startJoin() {
        try {
            joinServer = new JoinServer(new InetSocketAddress(cfg.listenHost(), cfg.joinPort()), () -> credentials,
                    membership::join, () -> server != null ? server.localAddress().getPort() : cfg.listenPort(),
                    ca::crl);
            joinError = null;
            housekeeping.listenerStarted("join endpoint");
        } catch (IOException e) {
            joinError = "cannot listen on " + cfg.listenHost() + ":" + cfg.joinPort() + ": " + e.getMessage();
            housekeeping.listenerFailed("join endpoint", joinError, () -> {
                if (joinServer == null) {
                    startJoin();
                }
            });
        }
    }

    static Optional<Integer> snidOf(SccPeer peer) {
        return Membership.snidOf(peer);
    }

    // ---------------------------------------------------------------- PolicyListener

    @Override
    public void policyApplied(PolicyVersion version, CompiledTable table) {
        distribution.policyApplied(version);
    }

    // ---------------------------------------------------------------- SecurityServer

    @Override
    public List<NodeRecord> nodes() {
        return membership.nodes();
    }

    @Override
    public List<StoredAlarm> alarms() {
        return membership.alarms();
    }

    @Override
    public boolean ackAlarm(String id) {
        return membership.ackAlarm(id);
    }

    @Override
    public String createToken(int snid, String name, Duration ttl, boolean replace) {
        return membership.createToken(snid, name, ttl, replace);
    }

    @Override
    public CompromiseResult compromised(int snid) throws Exception {
        return membership.compromised(snid);
    }

    @Override
    public ServerStatus status() {
        SccServer s = server;
        return new ServerStatus(cfg.role().label(), cfg.cluster(), cfg.snid(), sccAddress(), joinAddress(),
                ca.rootFingerprint(), distribution.currentVersion(), s == null ? 0 : s.peers().size(),
                store.nodes().size(), membership.openAlarms());
    }

    private String sccAddress() {
        return describe(sccSocketAddress(), sccError);
    }

    private String joinAddress() {
        return describe(joinSocketAddress(), joinError);
    }

    private static String describe(InetSocketAddress bound, String error) {
        if (bound != null) {
            return bound.getHostString() + ":" + bound.getPort();
        }
        return error == null ? "not started" : error;
    }

    @Override
    public long joinsSinceStart() {
        return membership.joinsSinceStart();
    }

    @Override
    public long compromisesSinceStart() {
        return membership.compromisesSinceStart();
    }

    /** This node's own denials (its auditing followed by the component), or null. */
    void localDenials(DenialDigest digest) {
        denials.local(digest);
    }

    @Override
    public PolicyPropagation policyPropagation() {
        return distribution.propagation();
    }

    @Override
    public List<NodeChannel> channels() {
        SccServer s = server;
        List<NodeChannel> out = new ArrayList<>();
        if (s != null) {
            for (SccPeer p : s.peers()) {
                snidOf(p).ifPresent(n -> out.add(new NodeChannel(n, String.valueOf(p.remoteAddress()),
                        p.connectedSince(), p.queued(SccPriority.ALARM), p.queued(SccPriority.CONTROL),
                        p.queued(SccPriority.BULK))));
            }
        }
        out.sort(Comparator.comparingLong(c -> Integer.toUnsignedLong(c.snid())));
        return out;
    }

    @Override
    public List<DenialFlow> denials(Instant since) {
        return denials.since(since);
    }

    @Override
    public AutoCloseable followDenials(Consumer<List<DenialFlow>> listener) {
        return denials.follow(listener);
    }

    @Override
    public LabelKeyStatus labelKeys() {
        return labelKeys.status();
    }

    @Override
    public CompletableFuture<Integer> rotateLabelKeys() {
        return labelKeys.rotate();
    }

    @Override
    public void awaitPublished(long version, Duration timeout) throws InterruptedException {
        distribution.awaitPublished(version, timeout);
    }

    @Override
    public LeaseStatus lease() {
        return shared.lease().get();
    }

    @Override
    public List<ServerPeer> servers() {
        return keyNodes.servers();
    }

    @Override
    public StoreHealth storeHealth() {
        return shared.health().get();
    }

    // ---------------------------------------------------------------- AlarmService

    @Override
    public Alarm raise(AlarmPriority priority, String source, String text) {
        return membership.raise(priority, source, text);
    }

    /**
     * Runs this server as the active one of several sharing a store: it signs only while {@code mode} says it
     * may still act, reports the lease and the store's health, and counts the other servers' nodes as label
     * key members. Call before {@link #start()}.
     */
    void sharedMode(SharedMode mode) {
        this.shared = mode;
    }

    /** For tests: how often to run the housekeeping (default 1 hour); call before {@link #start()}. */
    public void housekeepingInterval(Duration interval) {
        housekeeping.interval(interval);
    }

    public ClusterCa ca() {
        return ca;
    }

    public ServerStore store() {
        return store;
    }

    public Optional<SignedPolicy> currentEnvelope() {
        return distribution.currentEnvelope();
    }

    /** For tests: the bound SCC and join addresses. */
    public InetSocketAddress sccSocketAddress() {
        SccServer s = server;
        return s == null ? null : s.localAddress();
    }

    public InetSocketAddress joinSocketAddress() {
        JoinServer j = joinServer;
        return j == null ? null : j.localAddress();
    }

    /** Applies a policy on this SS (tests): same as dsi:policy-update. */
    PolicyVersion update(String source, byte[] xml) throws PolicyException {
        return policyService.updateSource(source, xml);
    }

    @Override
    public void close() {
        keyNodes.close();
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
