package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.internal.Pki;

/**
 * DSI's identity rules in the one validator, attacked as root on a node would: its node CA signs any
 * URI it likes, so everything it mints for another identity must be refused, while what it may issue
 * (its own processes) and what the root issues keep validating.
 */
class IdentityValidationTest {

    private static final Set<CertificateRole> ANY = EnumSet.of(CertificateRole.SERVER, CertificateRole.CHANNEL,
            CertificateRole.PROCESS, CertificateRole.NODE_CA);

    @TempDir
    Path tmp;

    private Fixture f;

    private PkixValidator.Identity check(List<X509Certificate> chain, Set<CertificateRole> accepted)
            throws CertPathValidatorException {
        return PkixValidator.validateIdentity(chain, List.of(f.ca.rootCertificate()), List.of(f.ca.crl()),
                f.clock.instant(), PkixValidator.Revocation.ROOT_REQUIRED, Fixture.CLUSTER, accepted);
    }

    private String refused(List<X509Certificate> chain, Set<CertificateRole> accepted) {
        return assertThrows(CertPathValidatorException.class, () -> check(chain, accepted)).getMessage();
    }

    @Test
    void whatTheRootAndANodeCaMayIssueValidatesWithItsRole() throws Exception {
        f = new Fixture(tmp);
        NodeKeys colby = f.join(1, "colby");
        Credentials ss = f.ca.serverCredentials(List.of(), List.of());
        assertEquals(new PkixValidator.Identity(SpiffeId.server(Fixture.CLUSTER), CertificateRole.SERVER),
                check(ss.chain(), ANY));
        assertEquals(CertificateRole.CHANNEL, check(List.of(colby.channelCertificate()), ANY).role());
        assertEquals(CertificateRole.NODE_CA, check(List.of(colby.nodeCaCertificate()), ANY).role());
        ProcessCredentials p = colby.issueProcessCredentials(10, null);
        PkixValidator.Identity pid = PkixValidator.validateIdentity(p.chain(), List.of(f.ca.rootCertificate()),
                colby.crls(), f.clock.instant(), PkixValidator.Revocation.ROOT_REQUIRED, Fixture.CLUSTER, ANY);
        assertEquals(new PkixValidator.Identity(SpiffeId.process(Fixture.CLUSTER, 1, 10), CertificateRole.PROCESS), pid);
        // a trailing copy of the root changes nothing
        List<X509Certificate> withRoot = List.of(colby.channelCertificate(), f.ca.rootCertificate());
        assertEquals(CertificateRole.CHANNEL, check(withRoot, ANY).role());
    }

    @Test
    void aNodeCaCannotSpeakForTheServerAnotherNodeOrAnotherNodesProcesses() throws Exception {
        f = new Fixture(tmp);
        f.join(3, "victim");
        Fixture.Rogue rogue = f.rogue(2);
        java.time.Instant now = f.clock.instant();
        String c = "spiffe://" + Fixture.CLUSTER;

        X509Certificate fakeSs = rogue.mint(Pki.Profile.SERVER, c + "/ss", now);
        assertTrue(refused(List.of(fakeSs, rogue.nodeCa()), ANY).contains("may only issue process certificates"));
        X509Certificate otherNode = rogue.mint(Pki.Profile.CHANNEL, c + "/node/3", now);
        assertTrue(refused(List.of(otherNode, rogue.nodeCa()), ANY).contains("may only issue process certificates"));
        X509Certificate ownChannel = rogue.mint(Pki.Profile.CHANNEL, c + "/node/2", now);
        assertTrue(refused(List.of(ownChannel, rogue.nodeCa()), ANY).contains("may only issue process certificates"),
                "a node's channel identity comes from the root only");
        X509Certificate otherProcess = rogue.mint(Pki.Profile.PROCESS, c + "/node/3/scid/10", now);
        assertTrue(refused(List.of(otherProcess, rogue.nodeCa()), ANY).contains("spiffe://test.cluster/node/2/scid/"));
        X509Certificate subCa = rogue.mint(Pki.Profile.NODE_CA, c + "/node/2/scid/10", now);
        refused(List.of(subCa, rogue.nodeCa()), ANY);
        // what it may issue: its own processes
        X509Certificate ownProcess = rogue.mint(Pki.Profile.PROCESS, c + "/node/2/scid/10", now);
        assertEquals(CertificateRole.PROCESS, check(List.of(ownProcess, rogue.nodeCa()), ANY).role());
    }

    @Test
    void rolesAreEnforcedWhereTheyAreUsed() throws Exception {
        f = new Fixture(tmp);
        NodeKeys colby = f.join(1, "colby");
        ProcessCredentials p = colby.issueProcessCredentials(10, null);
        // a process certificate never opens an SCC session (the hub takes channel certificates only)
        String why = assertThrows(CertPathValidatorException.class, () -> PkixValidator.validateIdentity(p.chain(),
                List.of(f.ca.rootCertificate()), colby.crls(), f.clock.instant(), PkixValidator.Revocation.ROOT_REQUIRED,
                Fixture.CLUSTER, Set.of(CertificateRole.CHANNEL))).getMessage();
        assertTrue(why.contains("a process certificate") && why.contains("not accepted here"), why);
        // a node's channel certificate cannot sign policies (only the server's)
        refused(List.of(colby.channelCertificate()), Set.of(CertificateRole.SERVER));
        // its CA certificate is not a TLS identity
        refused(List.of(colby.nodeCaCertificate()), Set.of(CertificateRole.CHANNEL));
        // another cluster's name
        assertThrows(CertPathValidatorException.class, () -> PkixValidator.validateIdentity(
                List.of(colby.channelCertificate()), List.of(f.ca.rootCertificate()), List.of(f.ca.crl()),
                f.clock.instant(), PkixValidator.Revocation.ROOT_REQUIRED, "other.cluster", ANY));
    }

    @Test
    void aProcessIdIssuedByTheRootAndAServerIdWithoutServerAuthAreRefused() throws Exception {
        f = new Fixture(tmp);
        // the root itself is never asked for such certificates; a validator must not take them either
        java.lang.reflect.Field rootKeyField = ClusterCa.class.getDeclaredField("rootKey");
        rootKeyField.setAccessible(true);
        java.security.PrivateKey rootKey = (java.security.PrivateKey) rootKeyField.get(f.ca);
        java.time.Instant now = f.clock.instant();
        java.security.KeyPair kp = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate rootProcess = Pki.issue(Pki.Profile.PROCESS, Pki.dn("dsi", null, "p"), kp.getPublic(),
                f.ca.rootCertificate(), rootKey, now.minusSeconds(60), now.plusSeconds(600),
                List.of("spiffe://" + Fixture.CLUSTER + "/node/1/scid/10"), List.of(), List.of());
        assertTrue(refused(List.of(rootProcess), ANY).contains("must be issued by its node's CA"));
        X509Certificate ssAsClient = Pki.issue(Pki.Profile.CHANNEL, Pki.dn("dsi", null, "s"), kp.getPublic(),
                f.ca.rootCertificate(), rootKey, now.minusSeconds(60), now.plusSeconds(600),
                List.of("spiffe://" + Fixture.CLUSTER + "/ss"), List.of(), List.of());
        assertTrue(refused(List.of(ssAsClient), ANY).contains("serverAuth"));
    }
}
