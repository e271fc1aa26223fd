package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenewalTest {

    @TempDir
    Path tmp;

    @Test
    void scheduleIsTwoThirdsOfTheLifetime() {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        X509Certificate ch = node.channelCertificate();
        Instant nb = ch.getNotBefore().toInstant();
        Instant na = ch.getNotAfter().toInstant();
        RenewalSchedule s = new RenewalSchedule();
        assertEquals(nb.plusMillis(Duration.between(nb, na).toMillis() * 2 / 3), s.renewAt(ch));
        assertFalse(s.isDue(ch, f.clock.instant()));
        assertEquals(List.of(), node.dueForRenewal());
        List<CertificateStatus> st = node.status();
        assertEquals(3, st.size());
        assertEquals(CertificateStatus.State.VALID, st.get(2).state());
        assertEquals(na, st.get(2).notAfter());
        assertEquals("spiffe://test.cluster/node/1", st.get(2).id());
    }

    @Test
    void nodeRenewsChannelAndNodeCaBeforeExpiryWithoutRestart() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(1, "colby");
        X509Certificate oldCh = node.channelCertificate();
        X509Certificate oldCa = node.nodeCaCertificate();
        ProcessCredentials beforeRenewal = node.issueProcessCredentials(10, null);
        List<CertificateRole> notified = new ArrayList<>();
        node.addListener(notified::add);
        // the SM's renewer: over the SCC to the SS, which knows the authenticated peer
        CertificateRenewal scheduler = new CertificateRenewal(node,
                req -> CompletableFuture.completedFuture(f.ca.renew(req, node.id())), Duration.ofSeconds(5));
        assertEquals(List.of(), scheduler.renewDue(), "nothing due yet");

        f.clock.advance(Duration.ofDays(61)); // 90-day certificates: due after 60 days
        assertEquals(List.of(CertificateRole.NODE_CA, CertificateRole.CHANNEL), node.dueForRenewal());
        assertEquals(CertificateStatus.State.RENEWAL_DUE, node.status().get(1).state());
        assertEquals(List.of(CertificateRole.NODE_CA, CertificateRole.CHANNEL), scheduler.renewDue());
        assertEquals(List.of(CertificateRole.NODE_CA, CertificateRole.CHANNEL), notified);

        X509Certificate newCh = node.channelCertificate();
        X509Certificate newCa = node.nodeCaCertificate();
        assertNotEquals(oldCh.getSerialNumber(), newCh.getSerialNumber());
        assertNotEquals(oldCh.getPublicKey(), newCh.getPublicKey(), "renewal uses a fresh key");
        assertTrue(newCh.getNotAfter().after(oldCh.getNotAfter()));
        assertEquals(SpiffeIds.parse(oldCh), SpiffeIds.parse(newCh));
        assertEquals(0, newCa.getBasicConstraints());
        assertEquals(node.channelCredentials().leaf(), newCh);
        assertEquals(List.of(), node.dueForRenewal());

        // the SS pushes its CRL over the SCC (the one from the join went stale meanwhile)
        assertTrue(node.updateCrl(f.ca.crl()));
        // everything validates with the new credentials; the old process certificate still chains to the old node CA
        f.validate(List.of(newCh), List.of(f.ca.crl()), PkixValidator.Revocation.ROOT_REQUIRED);
        ProcessCredentials after = node.issueProcessCredentials(11, null);
        assertEquals(newCa, after.chain().get(1));
        f.validate(after.chain(), node.crls(), PkixValidator.Revocation.ALL);
        f.validate(List.of(beforeRenewal.chain().get(1)), List.of(f.ca.crl()), PkixValidator.Revocation.ROOT_REQUIRED);
        assertEquals(oldCa.getSubjectX500Principal(), newCa.getSubjectX500Principal());

        // restart keeps the renewed credentials and drops the old keys
        NodeKeys again = new NodeKeys(f.settings(tmp.resolve("node-1")));
        assertEquals(newCh, again.channelCertificate());
        assertEquals(newCa, again.nodeCaCertificate());
    }

    @Test
    void serverRefusesBadRenewals() {
        Fixture f = new Fixture(tmp);
        NodeKeys colby = f.join(1, "colby");
        NodeKeys munster = f.join(2, "munster");

        // another node cannot renew colby's certificate over its own SCC connection
        RenewalRequest req = colby.prepareRenewal(CertificateRole.CHANNEL);
        assertThrows(PkiException.class, () -> f.ca.renew(req, munster.id()));

        // without a proof of possession of the current key
        RenewalRequest noProof = new RenewalRequest(req.role(), req.csr(), req.current(), null);
        PkiException e = assertThrows(PkiException.class, () -> f.ca.renew(noProof));
        assertTrue(e.getMessage().contains("proof"), e.getMessage());
        // with a proof made by another key (munster's channel key signs colby's CSR)
        RenewalRequest mreq = munster.prepareRenewal(CertificateRole.CHANNEL);
        RenewalRequest wrongProof = new RenewalRequest(req.role(), req.csr(), req.current(), mreq.proof());
        assertThrows(PkiException.class, () -> f.ca.renew(wrongProof));
        // role mismatch
        RenewalRequest wrongRole = new RenewalRequest(CertificateRole.NODE_CA, req.csr(), req.current(), req.proof());
        assertThrows(PkiException.class, () -> f.ca.renew(wrongRole));
        // a certificate from a foreign CA
        Fixture other = new Fixture(tmp.resolve("other"));
        NodeKeys stranger = other.join(1, "colby");
        RenewalRequest foreign = stranger.prepareRenewal(CertificateRole.CHANNEL);
        PkiException e2 = assertThrows(PkiException.class, () -> f.ca.renew(foreign));
        assertTrue(e2.getMessage().contains("not issued by this cluster"), e2.getMessage());

        // the genuine request works
        colby.installRenewal(CertificateRole.CHANNEL, f.ca.renew(req, colby.id()));

        // once the current certificate expired, renewal is refused: the node must join again
        f.clock.advance(Duration.ofDays(91));
        RenewalRequest late = munster.prepareRenewal(CertificateRole.NODE_CA);
        PkiException e3 = assertThrows(PkiException.class, () -> f.ca.renew(late));
        assertTrue(e3.getMessage().contains("expired"), e3.getMessage());
    }

    @Test
    void securityServerRenewsItsOwnTlsIdentity() {
        Fixture f = new Fixture(tmp);
        Credentials c1 = f.ca.serverCredentials(List.of("ss.example"), List.of("127.0.0.1"));
        assertEquals(SpiffeId.server(Fixture.CLUSTER), SpiffeIds.parse(c1.leaf()));
        assertEquals(c1.leaf(), f.ca.serverCredentials(List.of("ss.example"), List.of("127.0.0.1")).leaf(), "stable");
        f.clock.advance(Duration.ofDays(61));
        Credentials c2 = f.ca.serverCredentials(List.of("ss.example"), List.of("127.0.0.1"));
        assertNotEquals(c1.leaf(), c2.leaf());
        assertNotEquals(c1.privateKey(), c2.privateKey());
    }
}
