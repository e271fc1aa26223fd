package org.opendsi.cluster.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkixValidator;

class PolicySignaturesTest {

    @TempDir
    Path tmp;
    Fixture f;
    Credentials ss;
    byte[] xml = "<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"t\"><default decision=\"deny\"/></dsp>".getBytes(StandardCharsets.UTF_8);

    @BeforeEach
    void setUp() {
        f = new Fixture(tmp);
        ss = f.server();
    }

    private void verify(SignedPolicy p) throws PolicySignatureException {
        PolicySignatures.verify(p, "dsi", List.of(f.ca.rootCertificate()), List.of(f.ca.crl()), Instant.now(),
                PkixValidator.Revocation.ROOT_REQUIRED);
    }

    @Test
    void signedByTheSecurityServerVerifiesAndSurvivesJson() throws Exception {
        SignedPolicy p = PolicySignatures.sign("dsi", 7, xml, "abc", "t", ss.privateKey(), ss.chain());
        verify(p);
        SignedPolicy back = SignedPolicy.fromJson(Json.parse(Json.bytes(p.toJson())));
        verify(back);
        PolicySignatures.checkContent(back, xml);
    }

    @Test
    void tamperedSignatureVersionOrContentIsRefused() throws Exception {
        SignedPolicy p = PolicySignatures.sign("dsi", 7, xml, "abc", "t", ss.privateKey(), ss.chain());
        byte[] sig = p.signature();
        sig[sig.length / 2] ^= 1;
        SignedPolicy badSig = new SignedPolicy(p.cluster(), 7, p.sha256(), p.digest(), "t", p.signedAt(), sig, p.signer());
        assertThrows(PolicySignatureException.class, () -> verify(badSig));
        // a replayed signature with a bumped version does not verify
        SignedPolicy bumped = new SignedPolicy(p.cluster(), 8, p.sha256(), p.digest(), "t", p.signedAt(), p.signature(),
                p.signer());
        PolicySignatureException e = assertThrows(PolicySignatureException.class, () -> verify(bumped));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
        byte[] other = xml.clone();
        other[10] = 'X';
        assertThrows(PolicySignatureException.class, () -> PolicySignatures.checkContent(p, other));
        SignedPolicy wrongCluster = new SignedPolicy("other", 7, p.sha256(), p.digest(), "t", p.signedAt(),
                p.signature(), p.signer());
        assertThrows(PolicySignatureException.class, () -> verify(wrongCluster));
    }

    @Test
    void aNodeCannotSignPolicies() throws Exception {
        NodeKeys node = f.joinedNode(tmp, 2);
        Credentials c = node.channelCredentials();
        SignedPolicy p = PolicySignatures.sign("dsi", 9, xml, "abc", "t", c.privateKey(), c.chain());
        PolicySignatureException e = assertThrows(PolicySignatureException.class, () -> verify(p));
        assertTrue(e.getMessage().contains("a channel certificate (spiffe://dsi/node/2) is not accepted here"), e.getMessage());
    }

    @Test
    void aForeignCaIsNotTrusted() throws Exception {
        Fixture other = new Fixture(tmp.resolve("other"));
        Credentials c = other.server();
        SignedPolicy p = PolicySignatures.sign("dsi", 9, xml, "abc", "t", c.privateKey(), c.chain());
        assertThrows(PolicySignatureException.class, () -> verify(p));
    }

    @Test
    void aRevokedSignerIsRefused() throws Exception {
        SignedPolicy p = PolicySignatures.sign("dsi", 7, xml, "abc", "t", ss.privateKey(), ss.chain());
        verify(p); // validated once (and remembered) before the revocation
        f.ca.revoke(ss.leaf().getSerialNumber(), java.security.cert.CRLReason.KEY_COMPROMISE);
        assertThrows(PolicySignatureException.class, () -> verify(p));
        assertDoesNotThrow(() -> PolicySignatures.verify(p, "dsi", List.of(f.ca.rootCertificate()), List.of(),
                Instant.now(), PkixValidator.Revocation.NONE));
    }

    @Test
    void aRememberedValidationDoesNotOutliveTheSignerCertificate() throws Exception {
        SignedPolicy p = PolicySignatures.sign("dsi", 7, xml, "abc", "t", ss.privateKey(), ss.chain());
        verify(p);
        Instant after = ss.leaf().getNotAfter().toInstant().plusSeconds(1);
        assertThrows(PolicySignatureException.class, () -> PolicySignatures.verify(p, "dsi",
                List.of(f.ca.rootCertificate()), List.of(f.ca.crl()), after, PkixValidator.Revocation.NONE));
    }
}
