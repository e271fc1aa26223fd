package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CRLReason;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.internal.Pki;

class NodePkiTest {

    @TempDir
    Path tmp;

    /** Plain JDK PKIX, as any TLS library does it; revocation with the given CRLs when non-null. */
    private static void pkix(Fixture f, List<X509Certificate> chain, List<X509CRL> crls) throws Exception {
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
        PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(f.ca.rootCertificate(), null)));
        p.setDate(Date.from(f.clock.instant()));
        p.setRevocationEnabled(crls != null);
        if (crls != null) {
            p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
        }
        CertPathValidator.getInstance("PKIX").validate(path, p);
    }

    @Test
    void nodeJoinGivesAPathLenZeroNodeCaThatValidatesAgainstTheRoot() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        X509Certificate nodeCa = node.nodeCaCertificate();

        assertEquals(0, nodeCa.getBasicConstraints(), "CA with pathLen 0");
        boolean[] ku = nodeCa.getKeyUsage();
        assertTrue(ku[0] && ku[5] && ku[6], "digitalSignature, keyCertSign, cRLSign");
        assertEquals(SpiffeId.node(Fixture.CLUSTER, 1), SpiffeIds.parse(nodeCa));
        assertEquals("spiffe://test.cluster/node/1", SpiffeIds.parse(nodeCa).uri());
        assertEquals(f.ca.rootCertificate().getSubjectX500Principal(), nodeCa.getIssuerX500Principal());
        pkix(f, List.of(nodeCa), null);
        pkix(f, List.of(nodeCa), List.of(f.ca.crl()));

        X509Certificate channel = node.channelCertificate();
        assertEquals(-1, channel.getBasicConstraints());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), channel.getExtendedKeyUsage(), "clientAuth");
        assertEquals(SpiffeId.node(Fixture.CLUSTER, 1), SpiffeIds.parse(channel));
        assertFalse(java.util.Arrays.equals(channel.getPublicKey().getEncoded(), nodeCa.getPublicKey().getEncoded()),
                "CA key and TLS key are distinct");
        pkix(f, List.of(channel), List.of(f.ca.crl()));

        Credentials c = node.channelCredentials();
        assertEquals(List.of(channel), c.chain());
        assertEquals(List.of(f.ca.rootCertificate()), c.trustAnchors());
        assertEquals(channel.getNotAfter().toInstant(), c.notAfter());
        assertEquals(2, c.crls().size(), "root CRL and node CRL");
        assertNotNull(c.privateKey());

        // node key files are owner-only
        Path nodeDir = tmp.resolve("node-1/node");
        assertEquals("rwx------", Fixture.perms(nodeDir));
        for (String file : List.of("node.p12", "node.pass", "node.properties", "root.pem", "crl.pem", "node-crl.pem")) {
            assertEquals("rw-------", Fixture.perms(nodeDir.resolve(file)), file);
        }

        // a restart finds the same credentials
        NodeKeys again = new NodeKeys(f.settings(tmp.resolve("node-1")));
        assertTrue(again.isJoined());
        assertEquals(1, again.snid());
        assertEquals("colby", again.nodeName());
        assertArrayEquals(channel.getEncoded(), again.channelCertificate().getEncoded());
        assertEquals(c.privateKey(), again.channelCredentials().privateKey());
    }

    @Test
    void processCertificateValidatesThroughTheChainAndNamesClusterNodeAndContext() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        ProcessCredentials pc = node.issueProcessCredentials(10, null);
        X509Certificate leaf = pc.chain().get(0);
        assertEquals(node.nodeCaCertificate(), pc.chain().get(1));
        Duration life = Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
        assertTrue(life.compareTo(Duration.ofMinutes(62)) <= 0 && life.compareTo(Duration.ofMinutes(60)) >= 0, life.toString());

        SpiffeId id = SpiffeIds.parse(leaf);
        assertEquals(Fixture.CLUSTER, id.cluster());
        assertEquals(1, id.snid());
        assertEquals(10, id.scid());
        assertEquals(SpiffeId.Kind.PROCESS, id.kind());
        assertEquals("spiffe://test.cluster/node/1/scid/10", id.uri());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());

        pkix(f, pc.chain(), null);
        pkix(f, pc.chain(), node.crls()); // revocation on: root CRL for the node CA, node CRL for the leaf
        f.validate(pc.chain(), node.crls(), PkixValidator.Revocation.ROOT_REQUIRED);
        assertEquals(new PkixValidator.Identity(id, CertificateRole.PROCESS), PkixValidator.validateIdentity(pc.chain(),
                List.of(f.ca.rootCertificate()), node.crls(), f.clock.instant(), PkixValidator.Revocation.ROOT_REQUIRED,
                Fixture.CLUSTER, java.util.Set.of(CertificateRole.PROCESS)));

        // from a CSR, with a large unsigned ScID
        KeyPair kp = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        List<X509Certificate> fromCsr = node.issueProcessCertificate(Pki.csr(new X500Principal("CN=p"), kp),
                0xFFFFFFFE, Duration.ofMinutes(5));
        assertEquals(0xFFFFFFFE, SpiffeIds.parse(fromCsr.get(0)).scid());
        assertEquals("spiffe://test.cluster/node/1/scid/4294967294", SpiffeIds.parse(fromCsr.get(0)).uri());
        pkix(f, fromCsr, null);

        // a process certificate expires with its short TTL
        f.clock.advance(Duration.ofMinutes(61));
        assertThrows(CertPathValidatorException.class, () -> pkix(f, pc.chain(), null));

        assertThrows(PkiException.class, () -> node.issueProcessCredentials(0, null), "unlabeled");
        assertThrows(PkiException.class, () -> node.issueProcessCredentials(5, Duration.ofDays(2)), "too long");
    }

    @Test
    void aCertificateIssuedByTheNodeCaCannotActAsACa() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        ProcessCredentials pc = node.issueProcessCredentials(10, null);
        X509Certificate leaf = pc.chain().get(0);

        // the process signs a certificate as if it were a CA (even giving it CA extensions would need the
        // node CA; here the leaf itself is the issuer): PKIX must reject the path
        KeyPair victim = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate forged = Pki.issue(Pki.Profile.PROCESS, new X500Principal("CN=forged"), victim.getPublic(),
                leaf, pc.privateKey(), f.clock.instant().minusSeconds(60), f.clock.instant().plusSeconds(600),
                List.of("spiffe://test.cluster/node/1/scid/99"), List.of(), List.of());
        forged.verify(leaf.getPublicKey()); // the signature itself is fine
        List<X509Certificate> chain = List.of(forged, leaf, node.nodeCaCertificate());
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> pkix(f, chain, null));
        // the JDK stops at the first failed CA check: no keyCertSign, not a CA, or path too long
        assertTrue(Set.of("INVALID_KEY_USAGE", "NOT_CA_CERT", "PATH_TOO_LONG").contains(String.valueOf(e.getReason())),
                e.getReason() + ": " + e.getMessage());

        // and even a node-CA-signed "CA" certificate with CA extensions is refused: pathLen 0 on the node CA
        KeyPair sub = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate subCa = Pki.issue(Pki.Profile.NODE_CA, new X500Principal("CN=sub CA"), sub.getPublic(),
                node.nodeCaCertificate(), nodeCaKey(node), f.clock.instant().minusSeconds(60),
                f.clock.instant().plusSeconds(600), List.of("spiffe://test.cluster/node/1"), List.of(), List.of());
        X509Certificate grandchild = Pki.issue(Pki.Profile.PROCESS, new X500Principal("CN=grandchild"), victim.getPublic(),
                subCa, sub.getPrivate(), f.clock.instant().minusSeconds(60), f.clock.instant().plusSeconds(600),
                List.of("spiffe://test.cluster/node/1/scid/7"), List.of(), List.of());
        CertPathValidatorException e2 = assertThrows(CertPathValidatorException.class,
                () -> pkix(f, List.of(grandchild, subCa, node.nodeCaCertificate()), null));
        assertTrue(String.valueOf(e2.getMessage()).toLowerCase().contains("pathlenconstraint"), e2.getMessage());
    }

    /** The node CA private key, read from the node's own keystore as the SM would. */
    private static java.security.PrivateKey nodeCaKey(NodeKeys node) throws Exception {
        java.lang.reflect.Field ks = NodeKeys.class.getDeclaredField("keyStore");
        ks.setAccessible(true);
        java.lang.reflect.Field st = NodeKeys.class.getDeclaredField("state");
        st.setAccessible(true);
        String alias = ((java.util.Properties) st.get(node)).getProperty("ca.alias");
        return ((KeyStoreProvider) ks.get(node)).privateKey(alias).orElseThrow();
    }

    @Test
    void revokingANodeRejectsItsCertificatesUnderPkixWithRevocation() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys colby = f.join(1, "colby");
        NodeKeys munster = f.join(2, "munster");
        ProcessCredentials colbyProc = colby.issueProcessCredentials(10, null);
        ProcessCredentials munsterProc = munster.issueProcessCredentials(20, null);

        List<java.math.BigInteger> revoked = f.ca.revokeNode(1, CRLReason.KEY_COMPROMISE);
        assertEquals(2, revoked.size(), "node CA and channel");
        X509CRL crl = f.ca.crl();
        crl.verify(f.ca.rootCertificate().getPublicKey());
        assertEquals(f.ca.rootCertificate().getSubjectX500Principal(), crl.getIssuerX500Principal());
        assertNotNull(crl.getRevokedCertificate(colby.nodeCaCertificate().getSerialNumber()));
        assertNotNull(crl.getRevokedCertificate(colby.channelCertificate().getSerialNumber()));
        assertEquals(CRLReason.KEY_COMPROMISE,
                crl.getRevokedCertificate(colby.nodeCaCertificate().getSerialNumber()).getRevocationReason());
        assertEquals(2, crl.getRevokedCertificates().size());

        // munster receives the new CRL over the SCC
        assertTrue(munster.updateCrl(crl));
        assertFalse(munster.updateCrl(crl), "same number: no change");
        List<X509CRL> crls = new ArrayList<>(munster.crls());
        crls.add(colby.nodeCrl()); // colby's node CRL (says nothing about the node CA itself)

        for (List<X509Certificate> chain : List.of(List.of(colby.nodeCaCertificate()), List.of(colby.channelCertificate()),
                colbyProc.chain())) {
            CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> pkix(f, chain, crls));
            assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason(), e.getMessage());
            CertPathValidatorException e2 = assertThrows(CertPathValidatorException.class,
                    () -> f.validate(chain, crls, PkixValidator.Revocation.ROOT_REQUIRED));
            assertEquals(CertPathValidatorException.BasicReason.REVOKED, e2.getReason(), e2.getMessage());
        }
        // without revocation checking they would still pass: it is the CRL that stops them
        pkix(f, colbyProc.chain(), null);
        // munster is untouched
        pkix(f, List.of(munster.channelCertificate()), crls);
        pkix(f, munsterProc.chain(), crls);

        // an older CRL is not accepted back (no rollback)
        X509CRL older = colby.rootCrl();
        assertThrows(PkiException.class, () -> munster.updateCrl(older));
        // a CRL not signed by the root is refused
        assertThrows(PkiException.class, () -> munster.updateCrl(colby.nodeCrl()));
        // renewal by a revoked node is refused
        RenewalRequest r = colby.prepareRenewal(CertificateRole.CHANNEL);
        PkiException e = assertThrows(PkiException.class, () -> f.ca.renew(r));
        assertTrue(e.getMessage().contains("revoked"), e.getMessage());
    }

    @Test
    void rootRequiredPolicyFailsClosedWithoutACurrentRootCrl() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class,
                () -> f.validate(List.of(node.channelCertificate()), List.of(), PkixValidator.Revocation.ROOT_REQUIRED));
        assertEquals(CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS, e.getReason());
        X509CRL crl = f.ca.crl();
        f.validate(List.of(node.channelCertificate()), List.of(crl), PkixValidator.Revocation.ROOT_REQUIRED);
        f.clock.advance(Duration.ofDays(8)); // the held CRL went stale
        assertThrows(CertPathValidatorException.class,
                () -> f.validate(List.of(node.channelCertificate()), List.of(crl), PkixValidator.Revocation.ROOT_REQUIRED));
    }

    @Test
    void revokedProcessCertificateAppearsOnTheNodeCrl() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        ProcessCredentials pc = node.issueProcessCredentials(10, null);
        java.math.BigInteger before = Pki.crlNumber(node.nodeCrl());
        node.revokeProcessCertificate(pc.chain().get(0), CRLReason.PRIVILEGE_WITHDRAWN);
        X509CRL nodeCrl = node.nodeCrl();
        assertTrue(Pki.crlNumber(nodeCrl).compareTo(before) > 0);
        nodeCrl.verify(node.nodeCaCertificate().getPublicKey());
        assertTrue(nodeCrl.isRevoked(pc.chain().get(0)));
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> pkix(f, pc.chain(), node.crls()));
        assertEquals(CertPathValidatorException.BasicReason.REVOKED, e.getReason());
        // persisted across a restart
        NodeKeys again = new NodeKeys(f.settings(tmp.resolve("node-1")));
        assertTrue(again.nodeCrl().isRevoked(pc.chain().get(0)));
    }

    @Test
    void joinChecksWhatTheServerReturned() {
        Fixture f = new Fixture(tmp);
        NodeKeys node = new NodeKeys(f.settings(tmp.resolve("n")));
        JoinRequest req = node.prepareJoin("colby");
        NodeCertificates certs = f.ca.issueNode(req, 4);
        PkiException wrongRoot = assertThrows(PkiException.class, () -> node.install(certs, "00ff"));
        assertTrue(wrongRoot.getMessage().contains("fingerprint"), wrongRoot.getMessage());
        // certificates for someone else's keys
        NodeKeys other = new NodeKeys(f.settings(tmp.resolve("o")));
        NodeCertificates foreign = f.ca.issueNode(other.prepareJoin("munster"), 5);
        assertThrows(PkiException.class, () -> node.install(foreign, f.ca.rootFingerprint()));
        // a CA of another cluster
        ClusterCa evil = new ClusterCa(PkiSettings.of(tmp.resolve("evil"), "test.cluster").withClock(f.clock));
        NodeCertificates fromEvil = evil.issueNode(req, 4);
        assertThrows(PkiException.class, () -> node.install(fromEvil, f.ca.rootFingerprint()));
        assertFalse(node.isJoined());
        node.install(certs, f.ca.rootFingerprint().toUpperCase());
        assertTrue(node.isJoined());
        assertEquals(4, node.snid());
    }
}
