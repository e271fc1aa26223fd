package org.opendsi.keys;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import org.opendsi.api.SecurityIds;
import org.opendsi.keys.internal.Pki;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's keys, used by its Security Manager: the join (key pairs and CSRs, then installing what
 * the Security Server returned), the SCC credentials, the node's secondary CA issuing short-lived
 * process certificates, CRLs, and renewal. Files under {@code <dir>/node} (700, files 600):
 * <pre>
 *   node.p12          node CA key ("node-ca-N") and channel key ("channel-N") with their chains, PKCS#12
 *   node.pass         keystore password when none is configured
 *   node.properties   cluster, snid, node name, current and pending aliases
 *   root.pem          the cluster root certificate (trust anchor) received at join
 *   crl.pem           the newest root CRL received
 *   node-crl.pem      this node CA's CRL (revoked process certificates), node-crl.number its number
 *   revoked-processes revoked process certificates: serial notAfter revokedAt reason
 * </pre>
 * Thread-safe: every public operation is synchronized.
 */
public final class NodeKeys {

    /** Notified after credentials changed (join installed, renewal installed, CRL updated). */
    @FunctionalInterface
    public interface Listener {
        void credentialsChanged(CertificateRole role);
    }

    private static final Logger LOG = LoggerFactory.getLogger(NodeKeys.class);
    /** Longest process certificate lifetime accepted. */
    public static final Duration MAX_PROCESS_TTL = Duration.ofDays(1);
    private static final Duration PROCESS_BACKDATE = Duration.ofMinutes(1);

    private final PkiSettings settings;
    private final Clock clock;
    private final Path nodeDir;
    private final KeyStoreProvider keyStore;
    private final RenewalSchedule schedule;
    private final Properties state = new Properties();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<BigInteger, Map.Entry<Instant, Map.Entry<Instant, CRLReason>>> revokedProcesses = new LinkedHashMap<>();
    private X509Certificate root;
    private X509CRL rootCrl;
    private X509CRL nodeCrl;
    private BigInteger nodeCrlNumber = BigInteger.ZERO;

    public NodeKeys(PkiSettings settings) {
        this(settings, null);
    }

    /** With the keys held by {@code keyStore} (null: the default PKCS#12 file {@code node.p12}). */
    public NodeKeys(PkiSettings settings, KeyStoreProvider keyStore) {
        this.settings = settings;
        this.clock = settings.clock();
        this.nodeDir = settings.dir().resolve("node");
        this.schedule = new RenewalSchedule(settings.renewalFraction());
        try {
            SecureFiles.ensureDirectory(settings.dir());
            SecureFiles.ensureDirectory(nodeDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + nodeDir, e);
        }
        this.keyStore = keyStore != null ? keyStore : settings.defaultKeyStore(nodeDir, "node");
        load();
    }

    // ---------------------------------------------------------------- join

    /**
     * Generates two fresh key pairs (node CA, channel) and returns the join request to send to the
     * Security Server together with the one-time token. Calling it again discards the previous
     * pending keys. An already joined node may re-join (e.g. after it was revoked); its current
     * credentials stay in use until {@link #install} replaces them.
     */
    public synchronized JoinRequest prepareJoin(String nodeName) {
        discardPending("pending.ca.alias");
        discardPending("pending.channel.alias");
        String caAlias = nextAlias("node-ca-");
        String chAlias = nextAlias("channel-");
        KeyPair ca = keyStore.generateKeyPair(caAlias, settings.keyAlgorithm());
        KeyPair ch = keyStore.generateKeyPair(chAlias, settings.keyAlgorithm());
        state.setProperty("pending.ca.alias", caAlias);
        state.setProperty("pending.channel.alias", chAlias);
        state.setProperty("pending.nodeName", nodeName);
        saveState();
        String o = "dsi " + settings.cluster();
        return new JoinRequest(nodeName, Pki.csr(Pki.dn(o, null, nodeName + " node CA"), ca),
                Pki.csr(Pki.dn(o, null, nodeName + " channel"), ch));
    }

    /**
     * Installs what the Security Server returned for the pending join request, after checking it:
     * both certificates issued by {@code certs.root()}, for the pending keys, naming the same node
     * of this cluster, the node CA with pathLen 0.
     *
     * @param expectedRootFingerprint SHA-256 (hex) of the root certificate as the operator got it from
     *        the SS ({@link ClusterCa#rootFingerprint()}); null trusts the root that came with the answer
     */
    public synchronized void install(NodeCertificates certs, String expectedRootFingerprint) {
        String caAlias = state.getProperty("pending.ca.alias");
        String chAlias = state.getProperty("pending.channel.alias");
        if (caAlias == null || chAlias == null) {
            throw new PkiException("no join is pending on this node (call prepareJoin first)");
        }
        X509Certificate r = certs.root();
        checkRoot(r, expectedRootFingerprint);
        SpiffeId id = SpiffeId.node(settings.cluster(), certs.snid());
        checkIssued(certs.nodeCa(), r, id, keyStore.certificateChain(caAlias), "node CA");
        checkIssued(certs.channel(), r, id, keyStore.certificateChain(chAlias), "channel");
        if (certs.nodeCa().getBasicConstraints() != 0) {
            throw new PkiException("the node CA certificate must be a CA with pathLen 0");
        }
        if (certs.channel().getBasicConstraints() != -1) {
            throw new PkiException("the channel certificate must not be a CA");
        }
        verifyRootCrl(certs.crl(), r);
        keyStore.setCertificateChain(caAlias, List.of(certs.nodeCa(), r));
        keyStore.setCertificateChain(chAlias, List.of(certs.channel(), r));
        String oldCa = state.getProperty("ca.alias");
        String oldCh = state.getProperty("channel.alias");
        this.root = r;
        this.rootCrl = certs.crl();
        writeText("root.pem", Pem.certificates(List.of(r)));
        writeText("crl.pem", Pem.crl(certs.crl()));
        state.setProperty("cluster", settings.cluster());
        state.setProperty("snid", Integer.toUnsignedString(certs.snid()));
        state.setProperty("nodeName", certs.nodeName());
        state.setProperty("ca.alias", caAlias);
        state.setProperty("channel.alias", chAlias);
        state.remove("pending.ca.alias");
        state.remove("pending.channel.alias");
        state.remove("pending.nodeName");
        saveState();
        for (String old : new String[] {oldCa, oldCh}) {
            if (old != null && !old.equals(caAlias) && !old.equals(chAlias)) {
                keyStore.delete(old);
            }
        }
        revokedProcesses.clear();
        saveRevokedProcesses();
        signNodeCrl();
        LOG.info("Joined cluster '{}' as node {} ({}); node CA expires {}", settings.cluster(),
                SecurityIds.format(certs.snid()), certs.nodeName(), certs.nodeCa().getNotAfter().toInstant());
        notifyListeners(CertificateRole.NODE_CA);
        notifyListeners(CertificateRole.CHANNEL);
    }

    public synchronized boolean isJoined() {
        return state.getProperty("ca.alias") != null && root != null;
    }

    public String cluster() {
        return settings.cluster();
    }

    public synchronized int snid() {
        return Integer.parseUnsignedInt(requireJoined().getProperty("snid"));
    }

    public synchronized String nodeName() {
        return requireJoined().getProperty("nodeName");
    }

    public synchronized SpiffeId id() {
        return SpiffeId.node(settings.cluster(), snid());
    }

    // ---------------------------------------------------------------- credentials for the SCC

    /**
     * The node's SCC identity: channel private key, chain {@code [channel]} (issued by the root
     * directly), trust anchors {@code [root]} and the CRLs current now.
     */
    public synchronized Credentials channelCredentials() {
        requireJoined();
        String alias = state.getProperty("channel.alias");
        List<X509Certificate> chain = keyStore.certificateChain(alias);
        return new Credentials(id(), key(alias), List.of(chain.get(0)), List.of(root), crls());
    }

    public synchronized X509Certificate channelCertificate() {
        requireJoined();
        return keyStore.certificateChain(state.getProperty("channel.alias")).get(0);
    }

    public synchronized X509Certificate nodeCaCertificate() {
        requireJoined();
        return keyStore.certificateChain(state.getProperty("ca.alias")).get(0);
    }

    /** The cluster root certificate(s) to use as PKIX trust anchors. */
    public synchronized List<X509Certificate> trustAnchors() {
        requireJoined();
        return List.of(root);
    }

    /** The CRLs to check peers against now: the root CRL (newest received) and this node CA's CRL. */
    public synchronized List<X509CRL> crls() {
        requireJoined();
        Instant now = clock.instant();
        if (nodeCrl == null || !now.isBefore(nodeCrl.getThisUpdate().toInstant().plus(settings.crlValidity().dividedBy(2)))) {
            signNodeCrl();
        }
        List<X509CRL> out = new ArrayList<>();
        if (rootCrl != null) {
            out.add(rootCrl);
        }
        out.add(nodeCrl);
        return out;
    }

    /** {@link #crls()} as a supplier, for trust managers that look CRLs up per handshake. */
    public Supplier<List<X509CRL>> crlSupplier() {
        return this::crls;
    }

    /** The root CRL held now (null before the join). */
    public synchronized X509CRL rootCrl() {
        return rootCrl;
    }

    /**
     * Accepts a newer root CRL from the Security Server (pushed over the SCC): it must be signed by
     * the root and must not have a lower CRL number than the one held (no rollback).
     *
     * @return true when it replaced the held CRL
     */
    public synchronized boolean updateCrl(X509CRL crl) {
        requireJoined();
        verifyRootCrl(crl, root);
        if (rootCrl != null) {
            int cmp = Pki.crlNumber(crl).compareTo(Pki.crlNumber(rootCrl));
            if (cmp < 0) {
                throw new PkiException("CRL refused: number " + Pki.crlNumber(crl) + " is older than the held "
                        + Pki.crlNumber(rootCrl));
            }
            if (cmp == 0) {
                return false;
            }
        }
        rootCrl = crl;
        writeText("crl.pem", Pem.crl(crl));
        notifyListeners(CertificateRole.ROOT_CA);
        return true;
    }

    // ---------------------------------------------------------------- the node CA

    /**
     * Issues a process certificate for {@code key}: URI SAN {@code spiffe://<cluster>/node/<snid>/scid/<scid>},
     * EKU serverAuth+clientAuth, lifetime {@code ttl} (null: the configured default, 1 h), cut to the
     * node CA's own expiry.
     *
     * @return {@code [process certificate, node CA certificate]}
     */
    public synchronized List<X509Certificate> issueProcessCertificate(PublicKey key, int scid, Duration ttl) {
        requireJoined();
        Pki.checkKeyStrength(key);
        if (scid == SecurityIds.UNLABELED || scid == SecurityIds.ANY) {
            throw new PkiException("no certificate for ScID " + Integer.toUnsignedString(scid)
                    + " (0 is unlabeled, 4294967295 reserved)");
        }
        Duration life = ttl == null ? settings.processTtl() : ttl;
        if (life.isNegative() || life.isZero() || life.compareTo(MAX_PROCESS_TTL) > 0) {
            throw new PkiException("process certificate lifetime must be in (0, " + MAX_PROCESS_TTL.toHours()
                    + " h], not " + life);
        }
        String caAlias = state.getProperty("ca.alias");
        X509Certificate ca = keyStore.certificateChain(caAlias).get(0);
        if (Arrays.equals(key.getEncoded(), ca.getPublicKey().getEncoded())) {
            throw new PkiException("refused: the request is for the node CA's own key");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(life);
        Instant caEnd = ca.getNotAfter().toInstant();
        if (notAfter.isAfter(caEnd)) {
            notAfter = caEnd;
        }
        if (!notAfter.isAfter(now)) {
            throw new PkiException("the node CA expired at " + caEnd + "; renew it before issuing process certificates");
        }
        SpiffeId id = SpiffeId.process(settings.cluster(), snid(), scid);
        X509Certificate cert = Pki.issue(Pki.Profile.PROCESS,
                Pki.dn("dsi " + settings.cluster(), "node " + SecurityIds.format(snid()), "scid " + SecurityIds.format(scid)),
                key, ca, key(caAlias), now.minus(PROCESS_BACKDATE), notAfter, List.of(id.uri()), List.of(), List.of());
        return List.of(cert, ca);
    }

    /** {@link #issueProcessCertificate(PublicKey, int, Duration)} for the key of a DER PKCS#10 request (signature checked). */
    public List<X509Certificate> issueProcessCertificate(byte[] csrDer, int scid, Duration ttl) {
        return issueProcessCertificate(Pki.verifiedCsrKey(csrDer), scid, ttl);
    }

    /** Generates a key pair for a process and certifies it (the SM-side generation of DSI's design). */
    public ProcessCredentials issueProcessCredentials(int scid, Duration ttl) {
        KeyPair kp = Pki.generateKeyPair(settings.keyAlgorithm());
        List<X509Certificate> chain = issueProcessCertificate(kp.getPublic(), scid, ttl);
        return new ProcessCredentials(SpiffeIds.parse(chain.get(0)), kp.getPrivate(), chain);
    }

    /** Revokes a process certificate of this node CA (until it expires) and re-signs the node CRL. */
    public synchronized void revokeProcessCertificate(X509Certificate cert, CRLReason reason) {
        requireJoined();
        revokedProcesses.put(cert.getSerialNumber(), new AbstractMap.SimpleEntry<>(cert.getNotAfter().toInstant(),
                new AbstractMap.SimpleEntry<>(clock.instant().truncatedTo(ChronoUnit.SECONDS), reason)));
        saveRevokedProcesses();
        signNodeCrl();
        notifyListeners(CertificateRole.PROCESS);
    }

    /** This node CA's current CRL. */
    public synchronized X509CRL nodeCrl() {
        crls();
        return nodeCrl;
    }

    // ---------------------------------------------------------------- renewal

    /** When each certificate is due for renewal, and when it expires (for {@code dsi:nodes}). */
    public synchronized List<CertificateStatus> status() {
        if (!isJoined()) {
            return List.of();
        }
        Instant now = clock.instant();
        return List.of(schedule.status(CertificateRole.ROOT_CA, root, now),
                schedule.status(CertificateRole.NODE_CA, nodeCaCertificate(), now),
                schedule.status(CertificateRole.CHANNEL, channelCertificate(), now));
    }

    /** The roles ({@code NODE_CA}, {@code CHANNEL}) whose renewal is due now. */
    public synchronized List<CertificateRole> dueForRenewal() {
        List<CertificateRole> out = new ArrayList<>();
        if (isJoined()) {
            Instant now = clock.instant();
            if (schedule.isDue(nodeCaCertificate(), now)) {
                out.add(CertificateRole.NODE_CA);
            }
            if (schedule.isDue(channelCertificate(), now)) {
                out.add(CertificateRole.CHANNEL);
            }
        }
        return out;
    }

    public RenewalSchedule schedule() {
        return schedule;
    }

    /**
     * Generates a new key pair for {@code role} ({@code NODE_CA} or {@code CHANNEL}) and the request
     * to send to the Security Server: a CSR for the new key, the current certificate and a signature
     * by the current key over the CSR. The current credentials stay in use until
     * {@link #installRenewal}.
     */
    public synchronized RenewalRequest prepareRenewal(CertificateRole role) {
        requireJoined();
        String cur = aliasOf(role);
        String pendingKey = "pending.renew." + role;
        discardPending(pendingKey);
        String next = nextAlias(role == CertificateRole.NODE_CA ? "node-ca-" : "channel-");
        KeyPair kp = keyStore.generateKeyPair(next, settings.keyAlgorithm());
        state.setProperty(pendingKey, next);
        saveState();
        String o = "dsi " + settings.cluster();
        byte[] csr = Pki.csr(Pki.dn(o, null, nodeName() + (role == CertificateRole.NODE_CA ? " node CA" : " channel")), kp);
        X509Certificate current = keyStore.certificateChain(cur).get(0);
        return new RenewalRequest(role, csr, current, Pki.sign(key(cur), csr));
    }

    /** Installs the certificate the Security Server returned for {@link #prepareRenewal}, and notifies listeners. */
    public synchronized void installRenewal(CertificateRole role, X509Certificate cert) {
        requireJoined();
        String pendingKey = "pending.renew." + role;
        String next = state.getProperty(pendingKey);
        if (next == null) {
            throw new PkiException("no " + role + " renewal is pending");
        }
        checkIssued(cert, root, id(), keyStore.certificateChain(next), role.name());
        if (role == CertificateRole.NODE_CA && cert.getBasicConstraints() != 0) {
            throw new PkiException("the renewed node CA certificate must be a CA with pathLen 0");
        }
        if (role == CertificateRole.CHANNEL && cert.getBasicConstraints() != -1) {
            throw new PkiException("the renewed channel certificate must not be a CA");
        }
        keyStore.setCertificateChain(next, List.of(cert, root));
        String old = aliasOf(role);
        state.setProperty(role == CertificateRole.NODE_CA ? "ca.alias" : "channel.alias", next);
        state.remove(pendingKey);
        saveState();
        keyStore.delete(old);
        if (role == CertificateRole.NODE_CA) {
            signNodeCrl();
        }
        LOG.info("Renewed {} certificate of node {}: new serial {}, expires {}", role, SecurityIds.format(snid()),
                cert.getSerialNumber().toString(16), cert.getNotAfter().toInstant());
        notifyListeners(role);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    // ---------------------------------------------------------------- internals

    private String aliasOf(CertificateRole role) {
        switch (role) {
            case NODE_CA:
                return state.getProperty("ca.alias");
            case CHANNEL:
                return state.getProperty("channel.alias");
            default:
                throw new PkiException(role + " certificates are not renewed by the node");
        }
    }

    private PrivateKey key(String alias) {
        return keyStore.privateKey(alias).orElseThrow(
                () -> new PkiException("the keystore " + keyStore + " lost the key '" + alias + "'"));
    }

    private Properties requireJoined() {
        if (state.getProperty("ca.alias") == null || root == null) {
            throw new PkiException("this node has not joined a cluster yet");
        }
        return state;
    }

    private String nextAlias(String prefix) {
        int gen = Integer.parseInt(state.getProperty("generation", "0")) + 1;
        state.setProperty("generation", Integer.toString(gen));
        return prefix + gen;
    }

    private void discardPending(String key) {
        String a = state.getProperty(key);
        if (a != null) {
            keyStore.delete(a);
            state.remove(key);
        }
    }

    private void checkRoot(X509Certificate r, String expectedFingerprint) {
        try {
            r.verify(r.getPublicKey());
            r.checkValidity(java.util.Date.from(clock.instant()));
        } catch (Exception e) {
            throw new PkiException("the root certificate is not a valid self-signed certificate: " + e.getMessage(), e);
        }
        if (r.getBasicConstraints() < 0) {
            throw new PkiException("the root certificate is not a CA");
        }
        if (expectedFingerprint != null) {
            String fp = Pki.fingerprint(r);
            if (!fp.equalsIgnoreCase(expectedFingerprint.replace(":", "").trim())) {
                throw new PkiException("the root certificate's fingerprint " + fp + " is not the expected "
                        + expectedFingerprint + ": refusing to join (wrong or impostor Security Server)");
            }
        } else {
            LOG.warn("Joining without a root fingerprint: trusting root {} ({})", r.getSubjectX500Principal().getName(),
                    Pki.fingerprint(r));
        }
        try {
            if (r.getSubjectAlternativeNames() == null || r.getSubjectAlternativeNames().stream()
                    .noneMatch(s -> ("spiffe://" + settings.cluster()).equals(s.get(1)))) {
                throw new PkiException("the root certificate is not the CA of cluster '" + settings.cluster() + "'");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new PkiException("unreadable root certificate: " + e.getMessage(), e);
        }
    }

    private void checkIssued(X509Certificate cert, X509Certificate issuer, SpiffeId id, List<X509Certificate> pendingChain,
            String what) {
        try {
            cert.verify(issuer.getPublicKey());
            cert.checkValidity(java.util.Date.from(clock.instant()));
        } catch (Exception e) {
            throw new PkiException("the " + what + " certificate is not valid or not issued by the cluster root: "
                    + e.getMessage(), e);
        }
        if (pendingChain.isEmpty()
                || !Arrays.equals(cert.getPublicKey().getEncoded(), pendingChain.get(0).getPublicKey().getEncoded())) {
            throw new PkiException("the " + what + " certificate is not for the key this node generated");
        }
        SpiffeId got = SpiffeIds.parse(cert);
        if (!got.equals(id)) {
            throw new PkiException("the " + what + " certificate names " + got + ", expected " + id);
        }
    }

    private static void verifyRootCrl(X509CRL crl, X509Certificate root) {
        if (crl == null) {
            throw new PkiException("no CRL came with the answer");
        }
        try {
            crl.verify(root.getPublicKey());
        } catch (Exception e) {
            throw new PkiException("CRL refused: not signed by the cluster root (" + e.getMessage() + ")", e);
        }
    }

    private void signNodeCrl() {
        String caAlias = state.getProperty("ca.alias");
        X509Certificate ca = keyStore.certificateChain(caAlias).get(0);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Map<BigInteger, Map.Entry<Instant, Integer>> entries = new LinkedHashMap<>();
        revokedProcesses.entrySet().removeIf(e -> !e.getValue().getKey().isAfter(now));
        revokedProcesses.forEach((serial, v) -> entries.put(serial,
                new AbstractMap.SimpleEntry<>(v.getValue().getKey(), Pki.reasonCode(v.getValue().getValue()))));
        nodeCrlNumber = nodeCrlNumber.add(BigInteger.ONE);
        writeText("node-crl.number", nodeCrlNumber + "\n");
        nodeCrl = Pki.crl(ca, key(caAlias), nodeCrlNumber, now.minus(PROCESS_BACKDATE), now.plus(settings.crlValidity()),
                entries);
        writeText("node-crl.pem", Pem.crl(nodeCrl));
    }

    private void saveRevokedProcesses() {
        StringBuilder sb = new StringBuilder("# serial notAfter revokedAt reason\n");
        revokedProcesses.forEach((s, v) -> sb.append(s.toString(16)).append(' ').append(v.getKey()).append(' ')
                .append(v.getValue().getKey()).append(' ').append(v.getValue().getValue()).append('\n'));
        writeText("revoked-processes", sb.toString());
    }

    private void notifyListeners(CertificateRole role) {
        for (Listener l : listeners) {
            try {
                l.credentialsChanged(role);
            } catch (RuntimeException e) {
                LOG.warn("Credentials listener {} failed: {}", l, e.toString(), e);
            }
        }
    }

    private void load() {
        try {
            Path props = nodeDir.resolve("node.properties");
            if (Files.exists(props)) {
                state.load(new StringReader(Files.readString(props, StandardCharsets.UTF_8)));
                String c = state.getProperty("cluster");
                if (c != null && !c.equals(settings.cluster())) {
                    throw new PkiException("the node keys in " + nodeDir + " belong to cluster '" + c + "', not '"
                            + settings.cluster() + "'");
                }
            }
            Path rootFile = nodeDir.resolve("root.pem");
            if (Files.exists(rootFile)) {
                root = Pem.parseCertificates(Files.readString(rootFile, StandardCharsets.UTF_8)).get(0);
            }
            Path crlFile = nodeDir.resolve("crl.pem");
            if (Files.exists(crlFile)) {
                rootCrl = Pem.parseCrl(Files.readString(crlFile, StandardCharsets.UTF_8));
            }
            Path num = nodeDir.resolve("node-crl.number");
            if (Files.exists(num)) {
                nodeCrlNumber = new BigInteger(Files.readString(num, StandardCharsets.UTF_8).trim());
            }
            Path rev = nodeDir.resolve("revoked-processes");
            if (Files.exists(rev)) {
                for (String line : Files.readAllLines(rev, StandardCharsets.UTF_8)) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    String[] f = line.split(" ");
                    revokedProcesses.put(new BigInteger(f[0], 16), new AbstractMap.SimpleEntry<>(Instant.parse(f[1]),
                            new AbstractMap.SimpleEntry<>(Instant.parse(f[2]), CRLReason.valueOf(f[3]))));
                }
            }
            Path nodeCrlFile = nodeDir.resolve("node-crl.pem");
            if (Files.exists(nodeCrlFile) && isJoined()) {
                X509CRL c = Pem.parseCrl(Files.readString(nodeCrlFile, StandardCharsets.UTF_8));
                try {
                    c.verify(nodeCaCertificate().getPublicKey());
                    nodeCrl = c;
                } catch (Exception e) {
                    nodeCrl = null; // signed by a previous node CA key: re-signed on first use
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read node key state in " + nodeDir, e);
        }
    }

    private void saveState() {
        try {
            StringWriter w = new StringWriter();
            state.store(w, "DSI node keys");
            SecureFiles.writeAtomic(nodeDir.resolve("node.properties"), w.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + nodeDir.resolve("node.properties"), e);
        }
    }

    private void writeText(String name, String text) {
        try {
            SecureFiles.writeAtomic(nodeDir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + nodeDir.resolve(name), e);
        }
    }
}
