package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.internal.Pki;

class ClusterCaTest {

    @TempDir
    Path tmp;

    @Test
    void rootIsCreatedOwnerOnlyAndReloaded() throws Exception {
        Fixture f = new Fixture(tmp);
        Path caDir = tmp.resolve("ss/ca");
        assertEquals("rwx------", Fixture.perms(tmp.resolve("ss")));
        assertEquals("rwx------", Fixture.perms(caDir));
        for (String file : List.of("ca.p12", "ca.pass", "root.pem", "issued.db", "crl.pem", "crl.number")) {
            assertTrue(Files.exists(caDir.resolve(file)), file);
            assertEquals("rw-------", Fixture.perms(caDir.resolve(file)), file);
        }
        f.ca.joinTokens().create(Duration.ofMinutes(5), 9, "", false);
        assertEquals("rw-------", Fixture.perms(caDir.resolve("join-tokens")));

        X509Certificate root = f.ca.rootCertificate();
        assertEquals(1, root.getBasicConstraints(), "root pathLen 1: root -> node CA -> leaf");
        assertTrue(root.getKeyUsage()[5] && root.getKeyUsage()[6], "keyCertSign and cRLSign");
        assertEquals("EC", root.getPublicKey().getAlgorithm());
        root.verify(root.getPublicKey());

        BigInteger crlNumber = f.ca.crlNumber();
        ClusterCa again = new ClusterCa(f.settings(tmp.resolve("ss")));
        assertArrayEquals(root.getEncoded(), again.rootCertificate().getEncoded(), "same root after restart");
        assertEquals(crlNumber, again.crlNumber(), "the stored CRL is reused");
        assertEquals(f.ca.rootFingerprint(), again.rootFingerprint());
    }

    @Test
    void configuredPasswordNeedsNoSecretFileAndWrongPasswordFails() {
        PkiSettings s = PkiSettings.of(tmp, "pw").withPassword("s3cret-from-config".toCharArray());
        new ClusterCa(s);
        assertFalse(Files.exists(tmp.resolve("ca/ca.pass")));
        new ClusterCa(s);
        PkiException e = assertThrows(PkiException.class,
                () -> new ClusterCa(PkiSettings.of(tmp, "pw").withPassword("wrong".toCharArray())));
        assertTrue(e.getMessage().contains("wrong password"), e.getMessage());
    }

    @Test
    void anotherClustersCaIsRefused() {
        new ClusterCa(PkiSettings.of(tmp, "alpha"));
        PkiException e = assertThrows(PkiException.class, () -> new ClusterCa(PkiSettings.of(tmp, "beta")));
        assertTrue(e.getMessage().contains("another cluster"), e.getMessage());
    }

    @Test
    void rsaRootWorksToo() throws Exception {
        ClusterCa ca = new ClusterCa(PkiSettings.of(tmp, "rsa").withKeyAlgorithm(KeyAlgorithm.RSA_3072));
        assertEquals("RSA", ca.rootCertificate().getPublicKey().getAlgorithm());
        assertEquals("SHA256withRSA", ca.rootCertificate().getSigAlgName());
    }

    @Test
    void csrWithBadSignatureIsRejected() {
        Fixture f = new Fixture(tmp);
        KeyPair kp = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        byte[] csr = Pki.csr(new X500Principal("CN=x"), kp);
        byte[] forged = csr.clone();
        forged[forged.length - 3] ^= 0x5A; // inside the signature value
        PkiException e = assertThrows(PkiException.class, () -> f.ca.issueNodeCa(forged, 7, "n7"));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
        // a CSR whose signature was made by another key (public key swapped in) fails the same way
        KeyPair other = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        byte[] otherCsr = Pki.csr(new X500Principal("CN=x"), other);
        assertThrows(PkiException.class, () -> f.ca.issueNodeCa(swapKey(csr, otherCsr), 7, "n7"));
        assertThrows(PkiException.class, () -> f.ca.issueNodeCa(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, 7, "n7"));
        assertEquals(0, f.ca.issued().size(), "nothing was issued");
        // and the real one is accepted
        f.ca.issueNodeCa(csr, 7, "n7");
    }

    /** The CSR of {@code a} with the public key of {@code b} (same length for P-256 keys). */
    private static byte[] swapKey(byte[] a, byte[] b) {
        byte[] out = a.clone();
        // subjectPublicKeyInfo of a P-256 key: 91 bytes starting with 30 59 30 13
        int ia = indexOf(a, new byte[] {0x30, 0x59, 0x30, 0x13});
        int ib = indexOf(b, new byte[] {0x30, 0x59, 0x30, 0x13});
        System.arraycopy(b, ib, out, ia, 91);
        return out;
    }

    private static int indexOf(byte[] h, byte[] n) {
        outer:
        for (int i = 0; i <= h.length - n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (h[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void crlNumberIncreasesAndPersists() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys n1 = f.join(1, "colby");
        NodeKeys n2 = f.join(2, "munster");
        X509CRL first = f.ca.crl();
        BigInteger n = Pki.crlNumber(first);
        first.verify(f.ca.rootCertificate().getPublicKey());

        f.ca.revoke(n1.channelCertificate().getSerialNumber(), CRLReason.KEY_COMPROMISE);
        X509CRL second = f.ca.crl();
        assertEquals(n.add(BigInteger.ONE), Pki.crlNumber(second));
        assertTrue(second.isRevoked(n1.channelCertificate()));
        assertEquals(List.of(), f.ca.revoke(n1.channelCertificate().getSerialNumber(), CRLReason.KEY_COMPROMISE),
                "revoking twice is a no-op");
        assertEquals(n.add(BigInteger.ONE), f.ca.crlNumber());

        ClusterCa reopened = new ClusterCa(f.settings(tmp.resolve("ss")));
        assertEquals(n.add(BigInteger.ONE), Pki.crlNumber(reopened.crl()), "number persisted");
        assertTrue(reopened.isRevoked(n1.channelCertificate().getSerialNumber()), "revocation persisted");
        reopened.revokeNode(2, CRLReason.CESSATION_OF_OPERATION);
        X509CRL third = reopened.crl();
        assertEquals(n.add(BigInteger.TWO), Pki.crlNumber(third));
        assertTrue(third.isRevoked(n2.nodeCaCertificate()) && third.isRevoked(n2.channelCertificate()));
        assertTrue(third.isRevoked(n1.channelCertificate()));

        // the CRL is re-signed (next number) once half its validity has passed, never left to expire
        f.clock.advance(Duration.ofDays(4));
        ClusterCa later = new ClusterCa(f.settings(tmp.resolve("ss")));
        X509CRL fourth = later.crl();
        assertEquals(n.add(BigInteger.valueOf(3)), Pki.crlNumber(fourth));
        assertTrue(fourth.getNextUpdate().toInstant().isAfter(f.clock.instant().plus(Duration.ofDays(6))));
    }

    @Test
    void unknownSerialCannotBeRevoked() {
        Fixture f = new Fixture(tmp);
        assertThrows(PkiException.class, () -> f.ca.revoke(BigInteger.TEN, CRLReason.UNSPECIFIED));
    }

    @Test
    void joinRequestMustUseTwoKeysAndValidNames() {
        Fixture f = new Fixture(tmp);
        KeyPair kp = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        byte[] csr = Pki.csr(new X500Principal("CN=x"), kp);
        assertThrows(PkiException.class, () -> f.ca.issueNode(new JoinRequest("n", csr, csr), 3));
        assertThrows(PkiException.class, () -> f.ca.issueNodeCa(csr, 3, "bad name/with slash"));
        assertThrows(IllegalArgumentException.class, () -> f.ca.issueNodeCa(csr, 0, "zero"));
    }
}
