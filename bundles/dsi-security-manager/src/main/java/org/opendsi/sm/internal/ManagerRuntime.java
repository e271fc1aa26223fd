package org.opendsi.sm.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.audit.AuditAnchor;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.keys.CertificateRenewal;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkixValidator;
import org.opendsi.keys.RenewalRequest;
import org.opendsi.keys.SecureFiles;
import org.opendsi.keys.SpiffeId;
import org.opendsi.keys.SpiffeIds;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.policy.PolicyPatch;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccConnectionState;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccTransport;
import org.opendsi.sm.ManagerLabelKeys;
import org.opendsi.sm.ManagerStatus;
import org.opendsi.sm.SecurityManagerService;
import org.opendsi.cluster.protocol.AuditCheckpoints;
import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.JoinClient;
import org.opendsi.cluster.protocol.JoinToken;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.PolicyMessage;
import org.opendsi.cluster.protocol.PolicySignatureException;
import org.opendsi.cluster.protocol.PolicySignatures;
import org.opendsi.cluster.protocol.SignedPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Security Manager (for one configuration). Files in {@code <data.dir>/sm}:
 * {@code policy.json} (the last good signed policy: envelope and full source), {@code alarms.journal}
 * (the alarm queue), {@code ss.properties} (the Security Server given at join: it replaces
 * {@code ss.host}/{@code ss.port}, not a list of several in {@code ss.hosts}), {@code label-keys.json}
 * (the last label key set, owner-only: {@link LabelKeyHolder}). With several Security Servers (one
 * active, standbys not listening) it follows whichever answers: {@link #failOver}.
 */
public final class ManagerRuntime implements SecurityManagerService, AlarmService, AuditAnchor, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagerRuntime.class);

    private final NodeConfig cfg;
    private final PolicyService policyService;
    private final SccTransport transport;
    private final NodeKeys keys;
    private final Path dir;
    private final AlarmQueue queue;
    private final LabelKeyHolder labelKeys;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dsi-security-manager");
        t.setDaemon(true);
        return t;
    });
    private volatile SccClient client;
    /**
     * The Security Servers' SCC endpoints in preference order ({@code ss.hosts}), and the one the client
     * is for. Only the active SS of several sharing a store listens: when a connection cannot be made or
     * drops, the next one is tried at once; a short back-off follows only a whole round of failures.
     */
    private volatile List<NodeConfig.SsEndpoint> endpoints;
    private volatile int endpointIndex;
    /** Endpoints that failed in a row since the last hello the SS answered (for the back-off). */
    private int failuresInRow;
    /**
     * First and largest pause after every endpoint failed in a row. A standby starts serving within a
     * lease time (1 s by default) of the active server's death: a round at least every half second keeps the
     * manager's share of a failover near half a second, and a refused connection costs next to nothing.
     */
    static final long FAILOVER_BACKOFF_MIN_MS = 100;
    static final long FAILOVER_BACKOFF_MAX_MS = 500;
    /** The Security Server's join endpoint (also where a stale CRL is replaced). */
    volatile int joinPort;
    private volatile SignedPolicy signed;
    private volatile byte[] signedXml;
    private volatile String lastError;
    /** The auditing service's newest checkpoint not yet stored by the SS, and the SS's anchor for this node. */
    private final java.util.concurrent.atomic.AtomicReference<AuditCheckpoint> pendingCheckpoint =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile AuditCheckpoint anchoredCheckpoint;
    /**
     * Certificate renewal check: first after 30 s, then every 60 s. Package-private and settable
     * (before {@link #start()}) only so that tests with certificates valid for seconds can check
     * more often; production keeps these defaults.
     */
    volatile Duration renewalCheckDelay = Duration.ofSeconds(30);
    volatile Duration renewalCheckPeriod = Duration.ofSeconds(60);

    public ManagerRuntime(NodeConfig cfg, PolicyService policyService, SccTransport transport, NodeKeys keys) {
        this(cfg, policyService, transport, keys, () -> null);
    }

    /** @param dsm this node's kernel DSM (null while none is bound): it holds the label keys */
    public ManagerRuntime(NodeConfig cfg, PolicyService policyService, SccTransport transport, NodeKeys keys,
            java.util.function.Supplier<org.opendsi.dsm.Dsm> dsm) {
        this.cfg = cfg;
        this.policyService = policyService;
        this.transport = transport;
        this.keys = keys;
        this.dir = cfg.dataDir().resolve("sm");
        this.queue = new AlarmQueue(dir.resolve("alarms.journal"), cfg.alarmQueueMax());
        this.labelKeys = new LabelKeyHolder(dir.resolve("label-keys.json"), dsm);
        this.endpoints = cfg.ssHosts();
        this.joinPort = cfg.joinPort();
    }

    public void start() {
        if (!keys.cluster().equals(cfg.cluster())) {
            lastError = "the node keys are for cluster '" + keys.cluster() + "' (org.opendsi.keys) but org.opendsi.node "
                    + "says '" + cfg.cluster() + "'";
            LOG.error("Security Manager: {}", lastError);
        }
        loadEndpoint();
        // the last label keys with the last good policy: the node labels and checks labels before the SS is back
        labelKeys.reinstall().filter(a -> !a.ok()).ifPresent(a -> lastError = "label keys: " + a.error());
        enforceStoredPolicy();
        if (keys.isJoined()) {
            executor.execute(this::checkCrlCurrent); // a CRL gone stale while down: refreshed before the back-off
            connect();
        } else {
            LOG.info("Security Manager: not joined yet; run dsi:join HOST:PORT TOKEN");
        }
        long hb = cfg.heartbeatSeconds();
        executor.scheduleWithFixedDelay(this::publishStatus, hb, hb, TimeUnit.SECONDS);
        executor.scheduleWithFixedDelay(this::flushAlarms, 5, 5, TimeUnit.SECONDS);
        executor.scheduleWithFixedDelay(this::sendDenials, DENIAL_FLUSH_MS, DENIAL_FLUSH_MS, TimeUnit.MILLISECONDS);
        executor.scheduleWithFixedDelay(this::renewIfDue, renewalCheckDelay.toMillis(), renewalCheckPeriod.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- boot: the last good policy

    /** Enforces the stored signed policy before the Security Server is reachable. */
    private void enforceStoredPolicy() {
        Path f = dir.resolve("policy.json");
        if (!Files.exists(f)) {
            return;
        }
        try {
            PolicyMessage m = PolicyMessage.fromJson(Json.parse(Files.readAllBytes(f)));
            SignedPolicy env = m.envelope();
            byte[] xml = m.source(null);
            if (keys.isJoined()) {
                // it was fully checked when received; at boot the CRL held may be stale, so it is applied
                // whatever its age (a signer revoked since is refused), at a time the signer was valid: the
                // SS may have renewed (and let expire) that key since
                Instant signerExpiry = env.signer().isEmpty() ? Instant.now()
                        : env.signer().get(0).getNotAfter().toInstant().minusSeconds(1);
                Instant at = Instant.now().isBefore(signerExpiry) ? Instant.now() : signerExpiry;
                PolicySignatures.verify(env, cfg.cluster(), keys.trustAnchors(), keys.crls(), at,
                        PkixValidator.Revocation.HELD);
            }
            PolicySignatures.checkContent(env, xml);
            signed = env;
            signedXml = xml;
            enforce(env, xml);
            LOG.info("Security Manager: enforcing the stored signed policy version {} until the Security Server is reachable",
                    env.version());
        } catch (Exception e) {
            lastError = "stored signed policy unusable: " + e.getMessage();
            LOG.error("Security Manager: {}", lastError, e);
            raise(AlarmPriority.HIGH, "security-manager", lastError);
        }
    }

    /** Makes the policy service enforce this signed version (no-op when it already does). */
    private void enforce(SignedPolicy env, byte[] xml) throws PolicyException, PolicySignatureException {
        Optional<PolicyVersion> cur = policyService.current();
        if (cur.isPresent() && cur.get().version() >= env.version()) {
            byte[] src = policyService.currentSource().orElse(new byte[0]);
            if (PolicyPatch.sha256Hex(src).equals(env.sha256())) {
                return;
            }
            if (cur.get().version() > env.version()) {
                throw new PolicySignatureException("this node's policy service already runs a local version "
                        + cur.get().version() + " newer than the signed version " + env.version()
                        + " (was the node used stand-alone before?); clear its policy history to follow the Security Server");
            }
        }
        policyService.applyVersion("security-server v" + env.version(), xml, env.version());
    }

    // ---------------------------------------------------------------- SCC

    /** The Security Server endpoint selected now (the client's). */
    private NodeConfig.SsEndpoint endpoint() {
        List<NodeConfig.SsEndpoint> e = endpoints;
        return e.get(Math.floorMod(endpointIndex, e.size()));
    }

    /** Several Security Servers to follow (the client is rebuilt for the next one after a failure). */
    private boolean multiServer() {
        return endpoints.size() > 1;
    }

    /** (Re)connects to the selected endpoint now. */
    private synchronized void connect() {
        SccClient cl = open();
        cl.connect();
        LOG.info("Security Manager: connecting to the Security Server at {}", endpoint());
    }

    /**
     * Replaces the client by a new, unconnected one for the selected endpoint. The identity checks
     * (server identity prefix, root CA, CRL) are the same for every endpoint.
     */
    private SccClient open() {
        SccClient old = client;
        client = null;
        if (old != null) {
            old.close();
        }
        NodeConfig.SsEndpoint ep = endpoint();
        SccCredentials sc = channelCredentials();
        SccOptions opts = SccOptions.defaults().toBuilder()
                .serverIdentityPrefix("spiffe://" + cfg.cluster() + "/ss")
                .heartbeatInterval(Duration.ofSeconds(cfg.heartbeatSeconds()))
                .heartbeatTimeout(Duration.ofSeconds(cfg.heartbeatSeconds() * 3L))
                .backoffMax(Duration.ofSeconds(5))
                .alarmQueueBound(Math.max(1, cfg.alarmQueueMax()))
                .build();
        SccClient cl = transport.createClient(sc, opts, ep.host(), ep.port());
        cl.subscribe(ClusterTopics.POLICY, (peer, m) -> executor.execute(() -> onPolicy(m)));
        cl.subscribe(ClusterTopics.LABEL_KEYS, (peer, m) -> executor.execute(() -> onLabelKeys(peer, m)));
        // decoded inside onCrl: a CRL that cannot even be decoded is reported like one that does not verify
        cl.subscribe(ClusterTopics.CRL, (peer, m) -> executor.execute(() -> onCrl(() ->
                ClusterMessages.crlUpdate(m.payload()).crl())));
        cl.addStateListener((state, cause) -> {
            if (state == SccConnectionState.CONNECTED) {
                runLater(this::onConnected);
            } else if (state == SccConnectionState.DISCONNECTED && cause != null) {
                LOG.debug("Security Manager: SCC to {} {}: {}", ep, state, cause.toString());
                if (multiServer()) {
                    runLater(() -> failOver(cl));
                }
            }
        });
        client = cl;
        return cl;
    }

    private void runLater(Runnable r) {
        try {
            executor.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // stopping
        }
    }

    /**
     * The connection to the selected Security Server could not be made, or dropped: instead of the
     * client's own back-off against that one, the next endpoint is tried at once (a standby that took
     * over), after a short, growing, jittered pause once every endpoint failed in a row.
     */
    private synchronized void failOver(SccClient failed) {
        if (client != failed || !multiServer()) {
            return; // already replaced (rebuilt, joined, closed)
        }
        NodeConfig.SsEndpoint from = endpoint();
        failuresInRow++;
        endpointIndex = Math.floorMod(endpointIndex + 1, endpoints.size());
        SccClient next = open();
        long delay = 0;
        int rounds = failuresInRow / endpoints.size();
        if (failuresInRow % endpoints.size() == 0) {
            long base = Math.min(FAILOVER_BACKOFF_MAX_MS, FAILOVER_BACKOFF_MIN_MS << Math.min(rounds - 1, 20));
            delay = (long) (base * (0.5 + 0.5 * java.util.concurrent.ThreadLocalRandom.current().nextDouble()));
        }
        if (failuresInRow == 1) {
            LOG.info("Security Manager: Security Server {} unreachable; trying {}", from, endpoint());
        } else {
            LOG.debug("Security Manager: Security Server {} unreachable; trying {}{}", from, endpoint(),
                    delay > 0 ? " in " + delay + " ms (none of " + endpoints.size() + " answered)" : "");
        }
        try {
            executor.schedule(() -> {
                if (client == next) {
                    next.connect();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // stopping
        }
    }

    private SccCredentials channelCredentials() {
        Credentials c = keys.channelCredentials();
        java.util.function.Supplier<Collection<X509CRL>> crls = () -> (Collection<X509CRL>) keys.crls();
        return new SccCredentials(c.privateKey(), c.chain(), c.trustAnchors(), crls,
                org.opendsi.cluster.protocol.ClusterTrust.securityServerOf(cfg.cluster(), c.trustAnchors(), crls));
    }

    private void onConnected() {
        SccClient cl = client;
        if (cl == null) {
            return;
        }
        SignedPolicy s = signed;
        ClusterMessages.Hello hello = new ClusterMessages.Hello(keys.snid(), cfg.name(), cfg.address(),
                s == null ? 0 : s.version(), s == null ? "" : s.sha256());
        try {
            SccMessage m = cl.request(ClusterTopics.HELLO, ClusterMessages.encode(hello), SccPriority.CONTROL,
                    Duration.ofSeconds(10)).get();
            ClusterMessages.HelloReply reply = ClusterMessages.helloReply(m.payload());
            onCrl(reply::crl);
            reply.auditAnchor().ifPresent(a -> anchoredCheckpoint = a);
            synchronized (this) {
                failuresInRow = 0;
            }
            LOG.info("Security Manager: connected to the Security Server at {} (its policy version {}, ours {})",
                    endpoint(), reply.version(), s == null ? 0 : s.version());
        } catch (Exception e) {
            lastError = "hello refused: " + rootMessage(e);
            LOG.warn("Security Manager: {}", lastError);
            if (multiServer()) {
                failOver(cl); // perhaps not the active one: the next
            }
            return;
        }
        flushAlarms();
        sendCheckpoint();
        publishStatus();
    }

    // ---------------------------------------------------------------- audit anchor

    @Override
    public void checkpoint(AuditCheckpoint c) {
        pendingCheckpoint.set(c);
        executor.execute(this::sendCheckpoint);
    }

    @Override
    public Optional<AuditCheckpoint> anchored() {
        return Optional.ofNullable(anchoredCheckpoint);
    }

    /** The newest checkpoint, signed with the channel key, to the SS; kept until it is stored there. */
    private void sendCheckpoint() {
        AuditCheckpoint c = pendingCheckpoint.get();
        SccClient cl = client;
        if (c == null || cl == null || cl.state() != SccConnectionState.CONNECTED || !keys.isJoined()) {
            return;
        }
        try {
            ObjectNode o = AuditCheckpoints.signed(keys.snid(), c, keys.channelCredentials().privateKey());
            SccMessage reply = cl.request(ClusterTopics.AUDIT_CHECKPOINT, o, SccPriority.CONTROL, Duration.ofSeconds(10))
                    .get();
            anchoredCheckpoint = ClusterMessages.checkpointStored(reply.payload()).anchor();
            pendingCheckpoint.compareAndSet(c, null);
        } catch (Exception e) {
            LOG.debug("Security Manager: audit checkpoint not delivered: {}", rootMessage(e));
        }
    }

    private void onCrl(java.util.function.Supplier<X509CRL> decoded) {
        try {
            if (keys.updateCrl(decoded.get())) {
                LOG.info("Security Manager: new revocation list installed");
                SccClient cl = client;
                if (cl != null) {
                    cl.revalidateServer();
                }
            }
        } catch (RuntimeException e) {
            // a CRL that does not verify with the root, or rolls the number back, came over the
            // authenticated channel: the operator must hear of it
            LOG.warn("Security Manager: revocation list refused: {}", e.getMessage());
            raise(AlarmPriority.HIGH, "security-manager", "revocation list refused: " + e.getMessage());
        }
    }

    private void onPolicy(SccMessage m) {
        PolicyMessage msg;
        try {
            msg = PolicyMessage.fromJson(m.payload());
        } catch (RuntimeException e) {
            LOG.warn("Security Manager: malformed policy message: {}", e.toString());
            return;
        }
        handlePolicy(msg, true);
    }

    /** Verifies, rebuilds, applies, stores and acks one signed policy version. Package-private for tests. */
    void handlePolicy(PolicyMessage msg, boolean snapshotOnMismatch) {
        SignedPolicy env = msg.envelope();
        try {
            PolicySignatures.verify(env, cfg.cluster(), keys.trustAnchors(), keys.crls(), Instant.now(),
                    PkixValidator.Revocation.ROOT_REQUIRED);
            SignedPolicy cur = signed;
            if (cur != null && env.version() <= cur.version()) {
                if (env.version() == cur.version() && env.sha256().equals(cur.sha256())) {
                    ack(env.version(), null);
                    return;
                }
                throw new PolicySignatureException("policy v" + env.version() + " refused: not newer than version "
                        + cur.version() + " applied here (replayed or out of order)");
            }
            byte[] xml;
            try {
                xml = msg.source(signedXml);
            } catch (IllegalArgumentException e) {
                if (!snapshotOnMismatch) {
                    throw new PolicySignatureException("policy v" + env.version() + ": " + e.getMessage());
                }
                LOG.info("Security Manager: patch for v{} does not apply ({}); asking for the full source", env.version(),
                        e.getMessage());
                SccMessage snap = client.request(ClusterTopics.POLICY_SNAPSHOT, Json.object(), SccPriority.CONTROL,
                        Duration.ofSeconds(10)).get();
                handlePolicy(PolicyMessage.fromJson(snap.payload()), false);
                return;
            }
            PolicySignatures.checkContent(env, xml);
            CompiledPolicy compiled = DspCompiler.compile("signed policy v" + env.version(), xml);
            if (!compiled.digest().equals(env.digest())) {
                throw new PolicySignatureException("policy v" + env.version() + " refused: its digest is "
                        + compiled.digest() + ", the signature is for " + env.digest());
            }
            enforce(env, xml);
            SecureFiles.writeAtomic(dir.resolve("policy.json"), Json.bytes(PolicyMessage.full(env, xml).toJson()));
            signed = env;
            signedXml = xml;
            lastError = null;
            LOG.info("Security Manager: signed policy version {} ({}) applied", env.version(), env.name());
            ack(env.version(), null);
        } catch (Exception e) {
            String why = rootMessage(e);
            lastError = why;
            LOG.warn("Security Manager: {}", why);
            if (e instanceof PolicySignatureException) {
                // not signed by this cluster's Security Server, replayed, or out of order: someone may be
                // trying to push a policy, and the operator hears of it on the priority lane
                raise(AlarmPriority.HIGH, "security-manager", "refused policy v" + env.version() + ": " + why);
            }
            ack(env.version(), why);
        }
    }

    // ---------------------------------------------------------------- label keys

    /**
     * A label key set. Unlike a policy it carries no signature of its own: it is believed because the
     * channel is the Security Server's (its SERVER certificate, issued by the root and checked against
     * a current CRL by {@code ClusterTrust.securityServerOf} at the handshake and every
     * re-authentication); said here again, where it matters.
     */
    private void onLabelKeys(SccPeer from, SccMessage m) {
        if (!fromSecurityServer(from)) {
            String why = "label keys refused: they came from " + from.id() + ", not the Security Server";
            LOG.warn("Security Manager: {}", why);
            raise(AlarmPriority.HIGH, "security-manager", why);
            return;
        }
        ClusterMessages.LabelKeySet set;
        try {
            set = ClusterMessages.labelKeySet(m.payload());
        } catch (RuntimeException e) {
            lastError = "malformed label key set from the Security Server: " + e.getMessage();
            LOG.warn("Security Manager: {}", lastError);
            return;
        }
        ackLabelKeys(labelKeys.accept(set));
    }

    private boolean fromSecurityServer(SccPeer peer) {
        try {
            SpiffeId id = SpiffeIds.parse(peer.certificateChain().get(0));
            return id.kind() == SpiffeId.Kind.SERVER && id.cluster().equals(cfg.cluster());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void ackLabelKeys(ClusterMessages.LabelKeysAck ack) {
        if (!ack.ok()) {
            lastError = "label keys: " + ack.error();
        }
        SccClient cl = client;
        if (cl != null && cl.state() == SccConnectionState.CONNECTED) {
            cl.publish(ClusterTopics.LABEL_KEYS_ACK, ClusterMessages.encode(ack), SccPriority.ALARM)
                    .exceptionally(e -> null);
        }
    }

    /** This node's DSM came or went: the last set goes into it again (and the SS hears what it holds). */
    void dsmChanged() {
        try {
            executor.execute(() -> labelKeys.reinstall().ifPresent(this::ackLabelKeys));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // stopping
        }
    }

    @Override
    public ManagerLabelKeys labelKeys() {
        return labelKeys.view();
    }

    private void ack(long version, String error) {
        SccClient cl = client;
        if (cl == null) {
            return;
        }
        cl.publish(ClusterTopics.POLICY_ACK, ClusterMessages.encode(new ClusterMessages.PolicyAck(version, error)),
                SccPriority.CONTROL).exceptionally(e -> null);
    }

    /** This node's denials, as its auditing journals them (null: none followed). */
    private volatile org.opendsi.cluster.protocol.DenialDigest denials;
    /** How often denials go to the Security Server's view: twice a second keeps its view within 2 s of the kernel. */
    static final long DENIAL_FLUSH_MS = 500;

    /** Where this node's denials are collected for the Security Server's view. */
    void denials(org.opendsi.cluster.protocol.DenialDigest digest) {
        denials = digest;
    }

    /**
     * Sends what the digest holds on the BULK lane (alarms and policy go first). While disconnected the
     * digest keeps counting (bounded) and goes with the first report after the reconnection.
     */
    private void sendDenials() {
        org.opendsi.cluster.protocol.DenialDigest d = denials;
        SccClient cl = client;
        if (d == null || d.isEmpty() || cl == null || cl.state() != SccConnectionState.CONNECTED) {
            return;
        }
        cl.publish(ClusterTopics.DENIALS, org.opendsi.cluster.protocol.DenialDigest.encode(d.take()), SccPriority.BULK)
                .exceptionally(e -> {
                    LOG.debug("denial report not sent: {}", e.toString());
                    return null;
                });
    }

    private void publishStatus() {
        SccClient cl = client;
        if (cl == null || cl.state() != SccConnectionState.CONNECTED) {
            return;
        }
        SignedPolicy s = signed;
        ClusterMessages.Status st = new ClusterMessages.Status(s == null ? 0 : s.version(),
                policyService.current().map(PolicyVersion::version).orElse(0L),
                policyService.current().map(v -> v.summary().digest()).orElse(""), queue.size(),
                keys.isJoined() ? keys.channelCertificate().getNotAfter().toInstant() : null);
        cl.publish(ClusterTopics.STATUS, ClusterMessages.encode(st), SccPriority.CONTROL).exceptionally(e -> null);
    }

    // ---------------------------------------------------------------- alarms

    @Override
    public Alarm raise(AlarmPriority priority, String source, String text) {
        Alarm a = new Alarm(UUID.randomUUID().toString(), priority, cfg.snid(), cfg.name(), Instant.now(), source, text);
        queue.add(a);
        executor.execute(this::flushAlarms);
        return a;
    }

    /** Delivers queued alarms, oldest first, each stored by the Security Server before it leaves the queue. */
    private void flushAlarms() {
        SccClient cl = client;
        if (cl == null || cl.state() != SccConnectionState.CONNECTED) {
            return;
        }
        try {
            long dropped = queue.dropped();
            if (dropped > 0) {
                Alarm d = new Alarm(UUID.randomUUID().toString(), AlarmPriority.HIGH, cfg.snid(), cfg.name(),
                        Instant.now(), "security-manager", dropped + " alarm(s) dropped while the Security Server was "
                        + "unreachable (queue full at " + cfg.alarmQueueMax() + ")");
                cl.request(ClusterTopics.ALARM, Json.alarm(d), SccPriority.ALARM, Duration.ofSeconds(10)).get();
                queue.reportedDropped(dropped);
            }
            Optional<Alarm> next;
            while ((next = queue.peek()).isPresent()) {
                Alarm a = next.get();
                ClusterMessages.alarmStored(cl.request(ClusterTopics.ALARM, Json.alarm(a), SccPriority.ALARM,
                        Duration.ofSeconds(10)).get().payload());
                queue.remove(a.id());
            }
        } catch (Exception e) {
            LOG.debug("Security Manager: alarm delivery paused: {}", rootMessage(e));
        }
    }

    // ---------------------------------------------------------------- renewal

    private void renewIfDue() {
        checkCrlCurrent();
        SccClient cl = client;
        if (cl == null || cl.state() != SccConnectionState.CONNECTED) {
            return;
        }
        if (cl.revalidateServer()) {
            // the SS's certificate expired (or was revoked) on this open connection: it reconnects
            LOG.warn("Security Manager: the Security Server's certificate on the open connection is no longer valid; "
                    + "reconnecting");
            return;
        }
        try {
            CertificateRenewal renewal = new CertificateRenewal(keys, req -> renewOverScc(cl, req), Duration.ofSeconds(20));
            for (CertificateRole role : renewal.renewDue()) {
                if (role == CertificateRole.CHANNEL) {
                    presentRenewedChannelCertificate(cl);
                }
            }
            if (renewal.lastFailure() != null) {
                lastError = renewal.lastFailure();
            }
        } catch (Exception e) {
            lastError = "renewal failed: " + rootMessage(e);
            LOG.warn("Security Manager: {}", lastError);
        }
    }

    /** One renewal request to the SS over the SCC; completes with the new certificate. */
    private static java.util.concurrent.CompletionStage<X509Certificate> renewOverScc(SccClient cl, RenewalRequest req) {
        return cl.request(ClusterTopics.RENEW, ClusterMessages.encode(req), SccPriority.CONTROL, Duration.ofSeconds(20))
                .thenApply(reply -> ClusterMessages.renewed(reply.payload()).certificate());
    }

    /** When the root CRL that was reported stale was issued (one alarm per stale CRL). */
    private volatile Instant staleCrlReported;

    /**
     * A root CRL past its next update means signed policies are refused (they need a current one)
     * until the Security Server sends a newer CRL: the operator hears of it once per stale CRL.
     */
    private void checkCrlCurrent() {
        if (!keys.isJoined()) {
            return;
        }
        String fetchError = refreshStaleCrl();
        if (fetchError == null) {
            return;
        }
        Optional<X509CRL> held = rootCrl();
        Instant issued = held.map(c -> c.getThisUpdate().toInstant()).orElse(Instant.EPOCH);
        if (!issued.equals(staleCrlReported)) {
            staleCrlReported = issued;
            String text = (held.isEmpty() ? "no cluster revocation list is held"
                    : "the cluster revocation list expired at " + held.get().getNextUpdate().toInstant())
                    + ": the Security Server's certificate and signed policies are refused until a current one "
                    + "arrives (the join endpoint " + joinEndpoints().stream().map(Object::toString)
                    .collect(java.util.stream.Collectors.joining(", ")) + " could not provide one: " + fetchError + ")";
            lastError = text;
            LOG.warn("Security Manager: {}", text);
            raise(AlarmPriority.HIGH, "security-manager", text);
        }
    }

    /** The newest CRL of the root held, if any. */
    private Optional<X509CRL> rootCrl() {
        javax.security.auth.x500.X500Principal root = keys.trustAnchors().get(0).getSubjectX500Principal();
        return keys.crls().stream().filter(c -> c.getIssuerX500Principal().equals(root))
                .max(java.util.Comparator.comparing(X509CRL::getThisUpdate));
    }

    /** The root CRL held is current (before its next update). */
    private boolean rootCrlCurrent() {
        return rootCrl().map(c -> c.getNextUpdate() != null && c.getNextUpdate().toInstant().isAfter(Instant.now()))
                .orElse(false);
    }

    /**
     * Revocation is hard: with no current root CRL the SCC refuses the Security Server too (the
     * peer check requires one), so a stale CRL is replaced from the join endpoint, which hands out
     * the current one. It is signed by the root and installed only if it verifies and does not roll
     * the CRL number back, so that connection need not be trusted for it. Null when the CRL is
     * current (now); else why it could not be refreshed.
     */
    private String refreshStaleCrl() {
        if (!keys.isJoined() || rootCrlCurrent()) {
            return null;
        }
        List<NodeConfig.SsEndpoint> joins = joinEndpoints();
        List<String> errors = new ArrayList<>();
        for (NodeConfig.SsEndpoint join : joins) {
            try {
                X509CRL fresh = JoinClient.fetchCrl(join.host(), join.port(), cfg.cluster(),
                        keys.trustAnchors().get(0), 10_000);
                if (keys.updateCrl(fresh)) {
                    LOG.info("Security Manager: current revocation list fetched from the join endpoint {}", join);
                    SccClient cl = client;
                    if (cl != null && cl.state() != SccConnectionState.CONNECTED) {
                        reconnectTo(join.host()); // now rather than after the back-off
                    }
                }
                if (rootCrlCurrent()) {
                    return null;
                }
                errors.add((joins.size() > 1 ? join + ": " : "") + "the CRL it gave is not current either");
            } catch (Exception e) {
                LOG.warn("Security Manager: cannot refresh the stale revocation list from {}: {}", join, rootMessage(e));
                errors.add((joins.size() > 1 ? join + ": " : "") + rootMessage(e));
            }
        }
        return String.join("; ", errors);
    }

    /** Reconnects, to the first Security Server on {@code host} if several are listed (its join endpoint answered). */
    private synchronized void reconnectTo(String host) {
        List<NodeConfig.SsEndpoint> e = endpoints;
        for (int i = 0; i < e.size(); i++) {
            if (e.get(i).host().equals(host)) {
                endpointIndex = i;
                break;
            }
        }
        connect();
    }

    /**
     * Where a current CRL can come from: the join endpoint ({@code join.port}) on the host of the
     * Security Server selected now, then on the other Security Servers' hosts (only the active one
     * answers; the CRL is verified with the root whichever host gave it).
     */
    private List<NodeConfig.SsEndpoint> joinEndpoints() {
        List<NodeConfig.SsEndpoint> e = endpoints;
        int first = Math.floorMod(endpointIndex, e.size());
        List<NodeConfig.SsEndpoint> out = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
            NodeConfig.SsEndpoint j = new NodeConfig.SsEndpoint(e.get((first + i) % e.size()).host(), joinPort);
            if (!out.contains(j)) {
                out.add(j);
            }
        }
        return out;
    }

    /**
     * The open connection re-authenticates with the renewed channel certificate in band; only if the SS
     * refuses it (or cannot take it) is the client rebuilt, which reconnects with the new certificate.
     */
    private void presentRenewedChannelCertificate(SccClient cl) {
        try {
            cl.updateCredentials(channelCredentials()).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Security Manager: the Security Server did not take the renewed channel certificate on the open "
                    + "connection ({}); reconnecting with it", rootMessage(e));
            connect();
        }
    }

    // ---------------------------------------------------------------- join

    @Override
    public synchronized String join(String host, int port, String token) throws Exception {
        JoinToken t = JoinToken.parse(token);
        if (!keys.cluster().equals(cfg.cluster())) {
            throw new IllegalStateException(lastError);
        }
        JoinClient.Result r = JoinClient.join(host, port, cfg.cluster(), t, cfg.snid(), cfg.name(), cfg.address(),
                keys.prepareJoin(cfg.name()), 15_000);
        keys.install(r.certificates(), t.rootFingerprint());
        NodeConfig.SsEndpoint joined = new NodeConfig.SsEndpoint(host, r.sccPort() > 0 ? r.sccPort() : cfg.ssPort());
        if (!multiServer()) {
            endpoints = List.of(joined);
            endpointIndex = 0;
        } else if (endpoints.contains(joined)) {
            endpointIndex = endpoints.indexOf(joined); // the one that answered the join is the active one
        } else {
            // the configured list of Security Servers is kept (ss.properties does not override it)
            LOG.warn("Security Manager: joined through {}, whose SCC {} is not in ss.hosts {}; following ss.hosts",
                    host, joined, endpoints);
        }
        joinPort = port;
        failuresInRow = 0;
        saveEndpoint(joined);
        connect();
        return "Joined cluster '" + cfg.cluster() + "' as node " + Integer.toUnsignedString(cfg.snid()) + " ("
                + cfg.name() + "); node CA and channel certificates valid until "
                + r.certificates().channel().getNotAfter().toInstant() + "; Security Server " + ssAddress();
    }

    private void loadEndpoint() {
        Path f = dir.resolve("ss.properties");
        if (Files.exists(f)) {
            try {
                Properties p = new Properties();
                p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
                if (!multiServer()) {
                    // the server joined overrides ss.host/ss.port, but not a configured list (ss.hosts)
                    NodeConfig.SsEndpoint ep = endpoint();
                    endpoints = List.of(new NodeConfig.SsEndpoint(p.getProperty("ss.host", ep.host()),
                            Integer.parseInt(p.getProperty("ss.port", Integer.toString(ep.port())))));
                }
                joinPort = Integer.parseInt(p.getProperty("join.port", Integer.toString(joinPort)));
            } catch (IOException | RuntimeException e) {
                LOG.warn("Security Manager: cannot read {}: {}", f, e.toString());
            }
        }
    }

    private void saveEndpoint(NodeConfig.SsEndpoint joined) throws IOException {
        Properties p = new Properties();
        p.setProperty("ss.host", joined.host());
        p.setProperty("ss.port", Integer.toString(joined.port()));
        p.setProperty("join.port", Integer.toString(joinPort));
        StringWriter w = new StringWriter();
        p.store(w, "Security Server of this node (from dsi:join); overrides ss.host/ss.port of org.opendsi.node, "
                + "not ss.hosts");
        SecureFiles.writeAtomic(dir.resolve("ss.properties"), w.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- status

    @Override
    public ManagerStatus status() {
        SccClient cl = client;
        SignedPolicy s = signed;
        boolean joined = keys.isJoined();
        return new ManagerStatus("manager", cfg.cluster(), cfg.snid(), cfg.name(), joined, ssAddress(),
                cl == null ? (joined ? "CLOSED" : "NOT_JOINED") : cl.state().name(), s == null ? 0 : s.version(),
                policyService.current().map(PolicyVersion::version).orElse(0L), queue.size(), queue.dropped(),
                joined ? keys.channelCertificate().getNotAfter().toInstant() : null, lastError, queuedFrames(cl));
    }

    /** The Security Server selected now, and the whole list when there are several. */
    private String ssAddress() {
        List<NodeConfig.SsEndpoint> e = endpoints;
        String now = endpoint().toString();
        return e.size() > 1 ? now + " (one of " + e.stream().map(Object::toString)
                .collect(java.util.stream.Collectors.joining(", ")) + ")" : now;
    }

    private static List<Integer> queuedFrames(SccClient cl) {
        Optional<SccPeer> peer = cl == null ? Optional.empty() : cl.server();
        List<Integer> out = new ArrayList<>();
        for (SccPriority lane : SccPriority.values()) {
            out.add(peer.map(p -> p.queued(lane)).orElse(0));
        }
        return out;
    }

    List<Alarm> queuedAlarms() {
        return new ArrayList<>(queue.list());
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while ((c instanceof java.util.concurrent.ExecutionException || c instanceof java.util.concurrent.CompletionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    @Override
    public void close() {
        SccClient cl;
        synchronized (this) { // not while failOver swaps the client
            cl = client;
            client = null;
        }
        if (cl != null) {
            cl.close();
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        queue.close();
    }
}
