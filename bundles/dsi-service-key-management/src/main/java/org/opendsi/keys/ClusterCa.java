package org.opendsi.keys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
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
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.security.auth.x500.X500Principal;

import org.opendsi.api.SecurityIds;
import org.opendsi.keys.internal.FileCaStateStore;
import org.opendsi.keys.internal.Pki;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster root CA, owned by the Security Server. The first start creates the root key pair and
 * a self-signed certificate (basicConstraints CA pathLen 1, keyCertSign+cRLSign, URI SAN
 * {@code spiffe://<cluster>}); later starts load them. Files under {@code <dir>/ca} (700):
 * <pre>
 *   ca.p12        root key (alias "root") and the SS's TLS keys ("server-N"), PKCS#12, 600
 *   ca.pass       keystore password when none is configured (256 random bits), 600
 *   root.pem      root certificate (public; handed to nodes / operators)
 * </pre>
 * The CA's mutable state is in a {@link CaStateStore}; by default ({@link CaStateStore#files}) in
 * files beside those:
 * <pre>
 *   issued.db     index of certificates issued by the root: serial role snid notBefore notAfter revokedAt reason name
 *   crl.number    last CRL number used (reserved before the CRL it numbers is signed)
 *   crl.pem       the current signed CRL
 *   join-tokens   hashes of one-time join tokens ({@link JoinTokens})
 *   state.lock    held while the files above are updated
 * </pre>
 * Several Security Servers holding the same root key may share one store (one active, the others
 * standing by): nothing of the store is cached here, every operation reads what it needs from the
 * store, so the index, revocations, CRL and tokens another SS wrote are seen at once. Numbers and
 * one-time transitions (token redemption, revocation, CRL numbers) are the store's atomic steps.
 * Thread-safe: every public operation is synchronized.
 */
public final class ClusterCa {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterCa.class);
    private static final String ROOT_ALIAS = "root";
    private static final String SERVER_ALIAS = "server-";
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Certificates start this much in the past so that peers with slightly late clocks accept them. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private final PkiSettings settings;
    private final Clock clock;
    private final Path caDir;
    private final KeyStoreProvider keyStore;
    private final CaStateStore store;
    private final JoinTokens tokens;
    private final X509Certificate root;
    private final PrivateKey rootKey;
    private final RenewalSchedule schedule;
    /** The last CRL read from or written to the store, with its PEM: verified once, not at every read. */
    private String crlPem;
    private X509CRL crl;

    /** Opens (or, on first start, creates) the CA under {@code settings.dir()/ca} with the default PKCS#12 keystore. */
    public ClusterCa(PkiSettings settings) {
        this(settings, null);
    }

    /** Like {@link #ClusterCa(PkiSettings)} with the root key held by {@code keyStore} (null: default PKCS#12 file). */
    public ClusterCa(PkiSettings settings, KeyStoreProvider keyStore) {
        this(settings, keyStore, null);
    }

    /**
     * Like {@link #ClusterCa(PkiSettings, KeyStoreProvider)} with the CA's state (issued certificates,
     * CRL, join tokens) in {@code state} (null: the files under {@code settings.dir()/ca}). A store
     * shared with other Security Servers must be used with the root key they hold: creating a new root
     * over a store that already holds another root's state is refused.
     */
    public ClusterCa(PkiSettings settings, KeyStoreProvider keyStore, CaStateStore state) {
        this.settings = settings;
        this.clock = settings.clock();
        this.caDir = settings.dir().resolve("ca");
        this.schedule = new RenewalSchedule(settings.renewalFraction());
        try {
            SecureFiles.ensureDirectory(settings.dir());
            SecureFiles.ensureDirectory(caDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create CA directory " + caDir, e);
        }
        this.keyStore = keyStore != null ? keyStore : settings.defaultKeyStore(caDir, "ca");
        FileCaStateStore own = state == null ? new FileCaStateStore(caDir) : null;
        this.store = state != null ? state : own;
        this.tokens = new JoinTokens(store, clock);
        List<X509Certificate> chain = this.keyStore.certificateChain(ROOT_ALIAS);
        Optional<PrivateKey> key = this.keyStore.privateKey(ROOT_ALIAS);
        if (key.isPresent() && !chain.isEmpty() && chain.get(0).getBasicConstraints() >= 0) {
            this.root = chain.get(0);
            this.rootKey = key.get();
            String expected = "spiffe://" + settings.cluster();
            if (!uris(root).contains(expected)) {
                throw new PkiException("the root CA in " + caDir + " belongs to another cluster (" + uris(root)
                        + "), not to '" + settings.cluster() + "'");
            }
            LOG.info("Loaded cluster root CA {} (expires {})", root.getSubjectX500Principal().getName(), root.getNotAfter());
        } else {
            if (own == null && (!store.issued().isEmpty() || store.crl().isPresent())) {
                throw new PkiException("no cluster root key in the key store, but the CA state store holds the state of "
                        + "an existing root: provision that root key (the same on every Security Server) instead of "
                        + "creating a new root");
            }
            this.keyStore.delete(ROOT_ALIAS);
            KeyPair kp = this.keyStore.generateKeyPair(ROOT_ALIAS, settings.keyAlgorithm());
            Instant now = now();
            this.root = Pki.issue(Pki.Profile.ROOT_CA, Pki.dn("dsi " + settings.cluster(), null, "DSI root CA"),
                    kp.getPublic(), null, kp.getPrivate(), now.minus(BACKDATE), now.plus(settings.caValidity()),
                    List.of("spiffe://" + settings.cluster()), List.of(), List.of());
            this.keyStore.setCertificateChain(ROOT_ALIAS, List.of(root));
            this.rootKey = this.keyStore.privateKey(ROOT_ALIAS).orElseThrow();
            writeText(caDir.resolve("root.pem"), Pem.certificates(List.of(root)));
            if (own != null) {
                own.reset(); // the index and CRL of an earlier root do not carry over (as always)
            }
            LOG.info("Created cluster root CA for '{}' ({}, expires {})", settings.cluster(), settings.keyAlgorithm(),
                    root.getNotAfter());
        }
        // a CRL that is missing, lacks a revocation or is half through its validity is signed now; one
        // not signed by this root is refused
        currentCrl(false);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    public String cluster() {
        return settings.cluster();
    }

    public Path directory() {
        return caDir;
    }

    public X509Certificate rootCertificate() {
        return root;
    }

    /** SHA-256 of the root certificate (hex): give it to operators so joining nodes can pin the root. */
    public String rootFingerprint() {
        return Pki.fingerprint(root);
    }

    public JoinTokens joinTokens() {
        return tokens;
    }

    /**
     * The whole join on the SS side: redeems the one-time {@code token}, which must have been created
     * for {@code snid} (and the request's node name when it names one), and issues the node's CA and
     * channel certificates. A SnID whose certificates are live is refused unless the token was created
     * to replace that node; then its certificates are revoked before the new ones are issued.
     */
    public synchronized NodeCertificates join(String token, JoinRequest request, int snid) {
        // check everything before consuming the token, so a broken or misdirected request does not burn it
        checkJoinRequest(request, snid);
        JoinTokens.Redeemed r = tokens.check(token, snid, request.nodeName());
        List<IssuedCertificate> live = liveCertificates(snid);
        if (!live.isEmpty() && !r.replace()) {
            throw new JoinTokenException(JoinTokenException.Reason.NODE_EXISTS, "join refused: SnID "
                    + Integer.toUnsignedString(snid) + " belongs to node '" + live.get(0).nodeName()
                    + "', whose certificates are live (to replace it, create the token with --replace: its "
                    + "certificates are revoked first)");
        }
        tokens.redeem(token, snid, request.nodeName());
        if (!live.isEmpty()) {
            revokeNode(snid, CRLReason.SUPERSEDED);
        }
        return issueNode(request, snid);
    }

    /** The unrevoked, unexpired certificates of a node (a join for it must say it replaces the node). */
    public synchronized List<IssuedCertificate> liveCertificates(int snid) {
        Instant now = settings.clock().instant();
        return current().stream().filter(c -> c.snid() == snid && c.role() != CertificateRole.SERVER
                && c.notAfter().isAfter(now)).toList();
    }

    /** Issues the node CA and channel certificates of a join request (the caller has authenticated the node). */
    public synchronized NodeCertificates issueNode(JoinRequest request, int snid) {
        checkJoinRequest(request, snid);
        X509Certificate nodeCa = issueNodeCa(request.nodeCaCsr(), snid, request.nodeName());
        X509Certificate channel = issueChannelCertificate(request.channelCsr(), snid, request.nodeName());
        return new NodeCertificates(snid, request.nodeName(), nodeCa, channel, root, crl());
    }

    private void checkJoinRequest(JoinRequest request, int snid) {
        SpiffeId.node(settings.cluster(), snid);
        checkNodeName(request.nodeName());
        PublicKey caKey = Pki.verifiedCsrKey(request.nodeCaCsr());
        PublicKey chKey = Pki.verifiedCsrKey(request.channelCsr());
        if (Arrays.equals(caKey.getEncoded(), chKey.getEncoded())) {
            throw new PkiException("the node CA and channel requests must be for two different key pairs");
        }
        checkNotRootKey(caKey);
        checkNotRootKey(chKey);
    }

    private static void checkNodeName(String nodeName) {
        if (nodeName == null || !NODE_NAME.matcher(nodeName).matches()) {
            throw new PkiException("node name '" + nodeName + "' must be 1-64 of [A-Za-z0-9._-]");
        }
    }

    /**
     * Issues the node's secondary CA: basicConstraints CA pathLen 0, keyUsage
     * keyCertSign+cRLSign+digitalSignature, URI SAN {@code spiffe://<cluster>/node/<snid>}.
     *
     * @param csrDer DER PKCS#10; its signature is checked and only its public key is used
     */
    public synchronized X509Certificate issueNodeCa(byte[] csrDer, int snid, String nodeName) {
        return issueForNode(CertificateRole.NODE_CA, Pki.verifiedCsrKey(csrDer), snid, nodeName);
    }

    /**
     * Issues the node's SCC channel certificate: a TLS client certificate (EKU clientAuth) issued
     * by the root, URI SAN {@code spiffe://<cluster>/node/<snid>}.
     */
    public synchronized X509Certificate issueChannelCertificate(byte[] csrDer, int snid, String nodeName) {
        return issueForNode(CertificateRole.CHANNEL, Pki.verifiedCsrKey(csrDer), snid, nodeName);
    }

    private X509Certificate issueForNode(CertificateRole role, PublicKey key, int snid, String nodeName) {
        SpiffeId id = SpiffeId.node(settings.cluster(), snid);
        checkNodeName(nodeName);
        checkNotRootKey(key);
        String sn = SecurityIds.format(snid);
        X500Principal subject = role == CertificateRole.NODE_CA
                ? Pki.dn("dsi " + settings.cluster(), "node " + sn, nodeName + " node CA")
                : Pki.dn("dsi " + settings.cluster(), "node " + sn, nodeName + " channel");
        return record(role, snid, nodeName, issue(role == CertificateRole.NODE_CA ? Pki.Profile.NODE_CA : Pki.Profile.CHANNEL,
                subject, key, List.of(id.uri()), List.of(), List.of()));
    }

    /**
     * Issues the Security Server's own TLS certificate: URI SAN {@code spiffe://<cluster>/ss} (plus
     * optional DNS / IP SANs), EKU serverAuth+clientAuth, issued by the root.
     */
    public synchronized X509Certificate issueServerCert(byte[] csrDer, List<String> dnsNames, List<String> ipAddresses) {
        PublicKey key = Pki.verifiedCsrKey(csrDer);
        checkNotRootKey(key);
        return issueServer(key, dnsNames, ipAddresses);
    }

    private X509Certificate issueServer(PublicKey key, List<String> dnsNames, List<String> ips) {
        return record(CertificateRole.SERVER, 0, "ss", issue(Pki.Profile.SERVER,
                Pki.dn("dsi " + settings.cluster(), null, "security server"), key,
                List.of(SpiffeId.server(settings.cluster()).uri()), dnsNames, ips));
    }

    /**
     * The SS's own TLS identity for the SCC: a key pair in the CA keystore with a server
     * certificate; created on first call and replaced (new key) when its renewal is due.
     */
    public synchronized Credentials serverCredentials(List<String> dnsNames, List<String> ipAddresses) {
        Instant now = now();
        String alias = null;
        X509Certificate cert = null;
        int gen = 0;
        for (String a : keyStore.aliases()) {
            if (a.startsWith(SERVER_ALIAS)) {
                int g = Integer.parseInt(a.substring(SERVER_ALIAS.length()));
                List<X509Certificate> c = keyStore.certificateChain(a);
                if (g > gen && !c.isEmpty() && SpiffeIds.find(c.get(0)).isPresent()) {
                    gen = g;
                    alias = a;
                    cert = c.get(0);
                }
            }
        }
        if (cert == null || schedule.isDue(cert, now) || isRevoked(cert.getSerialNumber())) {
            String next = SERVER_ALIAS + (gen + 1);
            KeyPair kp = keyStore.generateKeyPair(next, settings.keyAlgorithm());
            X509Certificate fresh = issueServer(kp.getPublic(), dnsNames, ipAddresses);
            keyStore.setCertificateChain(next, List.of(fresh, root));
            if (alias != null) {
                keyStore.delete(alias);
            }
            alias = next;
            cert = fresh;
        }
        return new Credentials(SpiffeId.server(settings.cluster()), keyStore.privateKey(alias).orElseThrow(),
                List.of(cert), List.of(root), List.of(crl()));
    }

    /**
     * Renews a node CA, channel or server certificate. Accepted only when {@code current} was
     * issued by this root, is unexpired and unrevoked, and the request proves possession of the
     * current key: either the CSR is for that same key, or {@code request.proof()} is a signature
     * by the current key over the CSR. The new certificate has the same role, SnID and name.
     * The SS should also check that the SCC peer that sent the request is that node; see
     * {@link #renew(RenewalRequest, SpiffeId)}.
     */
    public synchronized X509Certificate renew(RenewalRequest request) {
        X509Certificate current = request.current();
        try {
            current.verify(root.getPublicKey());
        } catch (Exception e) {
            throw new PkiException("renewal refused: the current certificate was not issued by this cluster's root CA");
        }
        IssuedCertificate rec = store.issued(current.getSerialNumber()).orElse(null);
        if (rec == null) {
            throw new PkiException("renewal refused: certificate " + current.getSerialNumber().toString(16)
                    + " is not in this CA's index");
        }
        if (rec.revoked()) {
            throw new PkiException("renewal refused: certificate " + rec.serial().toString(16) + " was revoked at "
                    + rec.revokedAt() + " (" + rec.reason() + ")");
        }
        Instant now = now();
        if (!now.isBefore(current.getNotAfter().toInstant())) {
            throw new PkiException("renewal refused: the current certificate expired at "
                    + current.getNotAfter().toInstant() + "; the node must join again with a new token");
        }
        if (rec.role() != request.role()) {
            throw new PkiException("renewal refused: certificate " + rec.serial().toString(16) + " is a " + rec.role()
                    + " certificate, not " + request.role());
        }
        byte[] csr = request.csr();
        PublicKey newKey = Pki.verifiedCsrKey(csr);
        boolean sameKey = Arrays.equals(newKey.getEncoded(), current.getPublicKey().getEncoded());
        if (!sameKey && (request.proof() == null || !Pki.verify(current.getPublicKey(), csr, request.proof()))) {
            throw new PkiException("renewal refused: no valid proof that the requester holds the current key");
        }
        checkNotRootKey(newKey);
        switch (rec.role()) {
            case NODE_CA:
            case CHANNEL:
                return issueForNode(rec.role(), newKey, rec.snid(), rec.nodeName());
            case SERVER:
                List<String> dns = new ArrayList<>();
                List<String> ips = new ArrayList<>();
                sans(current, dns, ips);
                return issueServer(newKey, dns, ips);
            default:
                throw new PkiException("renewal refused: " + rec.role() + " certificates are not renewed this way");
        }
    }

    /** {@link #renew(RenewalRequest)}, also requiring the current certificate to name {@code authenticatedPeer} (the SCC peer). */
    public synchronized X509Certificate renew(RenewalRequest request, SpiffeId authenticatedPeer) {
        SpiffeId subject = SpiffeIds.parse(request.current());
        if (!subject.equals(authenticatedPeer)) {
            throw new PkiException("renewal refused: " + authenticatedPeer + " asked to renew a certificate of " + subject);
        }
        return renew(request);
    }

    /**
     * Revokes one certificate issued by the root and re-signs the CRL.
     *
     * @return the serials newly revoked (empty if it already was)
     */
    public synchronized List<BigInteger> revoke(BigInteger serial, CRLReason reason) {
        IssuedCertificate rec = store.issued(serial).orElseThrow(() -> new PkiException(
                "no certificate with serial " + serial.toString(16) + " was issued by this CA"));
        if (rec.revoked() || !store.markRevoked(serial, now(), reason)) {
            return List.of();
        }
        currentCrl(true);
        LOG.warn("Revoked {} certificate {} of node {} ({})", rec.role(), serial.toString(16), rec.snid(), reason);
        return List.of(serial);
    }

    /**
     * Revokes every certificate of node {@code snid}: its node CA (so every process certificate it
     * issued stops validating) and its channel certificates; re-signs the CRL once.
     */
    public synchronized List<BigInteger> revokeNode(int snid, CRLReason reason) {
        Instant at = now();
        List<BigInteger> out = new ArrayList<>();
        for (IssuedCertificate rec : store.issued()) {
            if (rec.snid() == snid && rec.role() != CertificateRole.SERVER && !rec.revoked()
                    && store.markRevoked(rec.serial(), at, reason)) {
                out.add(rec.serial());
            }
        }
        if (!out.isEmpty()) {
            currentCrl(true);
            LOG.warn("Revoked node {}: {} certificate(s) ({})", SecurityIds.format(snid), out.size(), reason);
        }
        return out;
    }

    public synchronized boolean isRevoked(BigInteger serial) {
        return store.issued(serial).map(IssuedCertificate::revoked).orElse(false);
    }

    /**
     * The current CRL, signed by the root: the store's, re-signed (with the next CRL number) when half
     * of its validity has passed, so a published CRL never expires while the SS runs, or when it lacks
     * a revocation in the store (made by another Security Server that did not get to sign it).
     */
    public synchronized X509CRL crl() {
        return currentCrl(false);
    }

    /** The number of the current CRL ({@link #crl()}). */
    public synchronized BigInteger crlNumber() {
        return Pki.crlNumber(currentCrl(false));
    }

    /** Every certificate the root issued (oldest first), for {@code dsi:nodes}. */
    public synchronized List<IssuedCertificate> issued() {
        return store.issued();
    }

    /** The newest unrevoked certificates of each node and role. */
    public synchronized List<IssuedCertificate> current() {
        Map<String, IssuedCertificate> latest = new LinkedHashMap<>();
        for (IssuedCertificate r : store.issued()) {
            if (!r.revoked()) {
                latest.merge(r.role() + "/" + r.snid(), r,
                        (a, b) -> a.notAfter().isAfter(b.notAfter()) ? a : b);
            }
        }
        List<IssuedCertificate> out = new ArrayList<>(latest.values());
        out.sort(Comparator.comparing(IssuedCertificate::snid, Integer::compareUnsigned).thenComparing(IssuedCertificate::role));
        return out;
    }

    private X509Certificate issue(Pki.Profile profile, X500Principal subject, PublicKey key, List<String> uris,
            List<String> dns, List<String> ips) {
        Instant now = now();
        Instant notAfter = now.plus(settings.nodeValidity());
        Instant rootEnd = root.getNotAfter().toInstant();
        if (notAfter.isAfter(rootEnd)) {
            notAfter = rootEnd;
        }
        if (!notAfter.isAfter(now)) {
            throw new PkiException("the cluster root CA expired at " + rootEnd + "; nothing can be issued");
        }
        return Pki.issue(profile, subject, key, root, rootKey, now.minus(BACKDATE), notAfter, uris, dns, ips);
    }

    private X509Certificate record(CertificateRole role, int snid, String name, X509Certificate cert) {
        store.addIssued(new IssuedCertificate(cert.getSerialNumber(), role, snid, name,
                cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant(), null, null));
        LOG.info("Issued {} certificate {} for {} (expires {})", role, cert.getSerialNumber().toString(16),
                SpiffeIds.find(cert).map(SpiffeId::uri).orElse("?"), cert.getNotAfter().toInstant());
        return cert;
    }

    private void checkNotRootKey(PublicKey key) {
        if (Arrays.equals(key.getEncoded(), root.getPublicKey().getEncoded())) {
            throw new PkiException("refused: the request is for the root CA's own key");
        }
    }

    /**
     * The store's CRL when it lists every revocation in the store and is less than half through its
     * validity (and {@code resign} is false); otherwise a new one signed from the store's revocations
     * with the store's next number. When another SS stored a later CRL meanwhile, that one is taken if
     * it lists everything.
     */
    private X509CRL currentCrl(boolean resign) {
        X509CRL signed = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Instant now = now();
            List<IssuedCertificate> all = store.issued();
            X509CRL stored = storedCrl();
            if (!resign && stored != null && listsAll(stored, all, now)
                    && now.isBefore(stored.getThisUpdate().toInstant().plus(settings.crlValidity().dividedBy(2)))) {
                return stored;
            }
            signed = signCrl(all, now);
            String pem = Pem.crl(signed);
            if (store.putCrl(Pki.crlNumber(signed), pem)) {
                crlPem = pem;
                crl = signed;
                return signed;
            }
            resign = false;
        }
        return signed; // complete and valid, though the store keeps a later one
    }

    /** The store's CRL (verified against the root), or null when it holds none. */
    private X509CRL storedCrl() {
        String pem = store.crl().orElse(null);
        if (pem == null) {
            return null;
        }
        if (!pem.equals(crlPem)) {
            X509CRL loaded = Pem.parseCrl(pem);
            try {
                loaded.verify(root.getPublicKey());
            } catch (java.security.GeneralSecurityException e) {
                throw new PkiException("the CRL in the CA state store (" + caDir + ") is not signed by this root: "
                        + e.getMessage(), e);
            }
            crlPem = pem;
            crl = loaded;
        }
        return crl;
    }

    /** Whether {@code crl} lists every unexpired revoked certificate (expired ones may leave it, RFC 5280 3.3). */
    private static boolean listsAll(X509CRL crl, List<IssuedCertificate> all, Instant now) {
        return all.stream().filter(IssuedCertificate::revoked).filter(r -> r.notAfter().isAfter(now))
                .allMatch(r -> crl.getRevokedCertificate(r.serial()) != null);
    }

    private X509CRL signCrl(List<IssuedCertificate> all, Instant now) {
        Map<BigInteger, Map.Entry<Instant, Integer>> revoked = new LinkedHashMap<>();
        for (IssuedCertificate r : all) {
            // expired certificates may leave the CRL (RFC 5280 3.3): nobody accepts them anyway
            if (r.revoked() && r.notAfter().isAfter(now)) {
                revoked.put(r.serial(), new AbstractMap.SimpleEntry<>(r.revokedAt(), Pki.reasonCode(r.reason())));
            }
        }
        // the number is reserved in the store before any CRL carrying it exists, so numbers never repeat
        BigInteger next = store.nextCrlNumber();
        return Pki.crl(root, rootKey, next, now.minus(BACKDATE), now.plus(settings.crlValidity()), revoked);
    }

    private static void writeText(Path file, String text) {
        try {
            SecureFiles.writeAtomic(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static List<String> uris(X509Certificate c) {
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        sans(c, dns, ips, uris);
        return uris;
    }

    private static void sans(X509Certificate c, List<String> dns, List<String> ips) {
        sans(c, dns, ips, new ArrayList<>());
    }

    private static void sans(X509Certificate c, List<String> dns, List<String> ips, List<String> uris) {
        try {
            Collection<List<?>> all = c.getSubjectAlternativeNames();
            if (all != null) {
                for (List<?> san : all) {
                    int tag = (Integer) san.get(0);
                    String v = String.valueOf(san.get(1));
                    if (tag == 2) {
                        dns.add(v);
                    } else if (tag == 7) {
                        ips.add(v);
                    } else if (tag == 6) {
                        uris.add(v);
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new PkiException("unreadable subjectAltName: " + e.getMessage(), e);
        }
    }
}
