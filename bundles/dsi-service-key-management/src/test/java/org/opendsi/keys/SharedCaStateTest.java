package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.internal.Pki;

/**
 * Two Security Servers (A active, B its standby) holding the same root key and sharing one CA state
 * store: here the file store over one directory, opened once by each.
 */
class SharedCaStateTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.now();

    private PkiSettings settings(String dir) {
        return PkiSettings.of(tmp.resolve(dir), Fixture.CLUSTER).withClock(clock);
    }

    /** A creates the root over the shared store; B gets a copy of A's root key store (as an operator provisions it). */
    private ClusterCa[] twoServers() throws Exception {
        Path shared = tmp.resolve("shared-state");
        ClusterCa a = new ClusterCa(settings("ss-a"), null, CaStateStore.files(shared));
        Path bCa = tmp.resolve("ss-b/ca");
        Files.createDirectories(bCa);
        for (String f : List.of("ca.p12", "ca.pass")) {
            Files.copy(a.directory().resolve(f), bCa.resolve(f));
        }
        ClusterCa b = new ClusterCa(settings("ss-b"), null, CaStateStore.files(shared));
        assertEquals(a.rootFingerprint(), b.rootFingerprint());
        return new ClusterCa[] {a, b};
    }

    private NodeKeys joinVia(ClusterCa ca, String token, int snid, String name) {
        NodeKeys node = new NodeKeys(settings("node-" + snid + "-" + name));
        node.install(ca.join(token, node.prepareJoin(name), snid), ca.rootFingerprint());
        return node;
    }

    @Test
    void aTokenCreatedOnOneServerIsRedeemedOnTheOtherAndThenRefusedEverywhere() throws Exception {
        ClusterCa[] ss = twoServers();
        ClusterCa a = ss[0];
        ClusterCa b = ss[1];
        String token = a.joinTokens().create(Duration.ofMinutes(10), 5, "colby", false);
        assertEquals(1, b.joinTokens().pendingCount(), "B sees the token A created");

        NodeKeys node = joinVia(b, token, 5, "colby");
        assertEquals(0, a.joinTokens().pendingCount());
        assertTrue(a.joinTokens().list().get(0).usedAt() != null, "A lists it as used");

        JoinRequest again = new NodeKeys(settings("replay")).prepareJoin("colby");
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> a.join(token, again, 5));
        assertEquals(JoinTokenException.Reason.ALREADY_USED, e.reason());
        assertTrue(e.getMessage().contains("already used"), e.getMessage());
        // and A knows the node B let in: its certificates are live, a plain token for SnID 5 is refused
        assertEquals(node.channelCertificate().getSerialNumber(),
                a.liveCertificates(5).stream().filter(c -> c.role() == CertificateRole.CHANNEL).findFirst()
                        .orElseThrow().serial());
        String plain = a.joinTokens().create(Duration.ofMinutes(10), 5, "", false);
        assertEquals(JoinTokenException.Reason.NODE_EXISTS,
                assertThrows(JoinTokenException.class, () -> a.join(plain, again, 5)).reason());
    }

    @Test
    void aRevocationOnOneServerIsOnTheOthersNextCrlAndCrlNumbersOnlyGrow() throws Exception {
        ClusterCa[] ss = twoServers();
        ClusterCa a = ss[0];
        ClusterCa b = ss[1];
        NodeKeys n1 = joinVia(a, a.joinTokens().create(Duration.ofMinutes(10), 1, "colby", false), 1, "colby");
        NodeKeys n2 = joinVia(a, a.joinTokens().create(Duration.ofMinutes(10), 2, "munster", false), 2, "munster");
        List<BigInteger> numbers = new ArrayList<>();
        numbers.add(a.crlNumber());

        assertEquals(2, b.revokeNode(1, CRLReason.KEY_COMPROMISE).size(), "B revokes what A issued");
        numbers.add(b.crlNumber());
        X509CRL onA = a.crl();
        assertTrue(onA.isRevoked(n1.channelCertificate()) && onA.isRevoked(n1.nodeCaCertificate()),
                "A serves the CRL with B's revocation");
        assertTrue(a.isRevoked(n1.channelCertificate().getSerialNumber()));
        assertEquals(List.of(), a.revokeNode(1, CRLReason.KEY_COMPROMISE), "already revoked, on B");

        a.revoke(n2.channelCertificate().getSerialNumber(), CRLReason.SUPERSEDED);
        numbers.add(a.crlNumber());
        X509CRL onB = b.crl();
        assertTrue(onB.isRevoked(n2.channelCertificate()) && onB.isRevoked(n1.channelCertificate()));
        numbers.add(Pki.crlNumber(onB));

        // half the CRL validity later both re-sign (whichever comes first); numbers never repeat
        clock.advance(Duration.ofDays(4));
        numbers.add(Pki.crlNumber(b.crl()));
        numbers.add(Pki.crlNumber(a.crl()));
        b.revoke(n2.nodeCaCertificate().getSerialNumber(), CRLReason.KEY_COMPROMISE);
        numbers.add(b.crlNumber());
        numbers.add(a.crlNumber());
        for (int i = 1; i < numbers.size(); i++) {
            assertTrue(numbers.get(i).compareTo(numbers.get(i - 1)) >= 0, "never back: " + numbers);
        }
        assertEquals(List.of(BigInteger.ONE, BigInteger.TWO, BigInteger.valueOf(3), BigInteger.valueOf(3),
                BigInteger.valueOf(4), BigInteger.valueOf(4), BigInteger.valueOf(5), BigInteger.valueOf(5)), numbers,
                "each revocation and each half-life re-signing takes the next number, on whichever server");
        assertTrue(a.crl().isRevoked(n2.nodeCaCertificate()));
    }

    @Test
    void aRevocationWhoseCrlWasNeverSignedIsSignedByTheOtherServer() throws Exception {
        ClusterCa[] ss = twoServers();
        ClusterCa a = ss[0];
        NodeKeys n1 = joinVia(a, a.joinTokens().create(Duration.ofMinutes(10), 1, "colby", false), 1, "colby");
        BigInteger before = a.crlNumber();
        // B marked the revocation in the store and died before signing the CRL
        CaStateStore store = CaStateStore.files(tmp.resolve("shared-state"));
        assertTrue(store.markRevoked(n1.channelCertificate().getSerialNumber(), clock.instant(), CRLReason.KEY_COMPROMISE));
        X509CRL crl = a.crl();
        assertTrue(crl.isRevoked(n1.channelCertificate()));
        assertEquals(before.add(BigInteger.ONE), Pki.crlNumber(crl));
    }

    @Test
    void aNewRootOverAStoreHoldingAnotherRootsStateIsRefused() throws Exception {
        twoServers();
        PkiException e = assertThrows(PkiException.class,
                () -> new ClusterCa(settings("ss-c"), null, CaStateStore.files(tmp.resolve("shared-state"))));
        assertTrue(e.getMessage().contains("provision that root key"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("ss-c/ca/root.pem")), "no root was created");
    }

    @Test
    void concurrentRedemptionsThroughTwoStoresLetExactlyOneThrough() throws Exception {
        Path shared = tmp.resolve("tokens");
        JoinTokens a = new JoinTokens(CaStateStore.files(shared), clock);
        JoinTokens b = new JoinTokens(CaStateStore.files(shared), clock);
        for (int round = 0; round < 5; round++) {
            String token = a.create(Duration.ofMinutes(10), 7, "", false);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger used = new AtomicInteger();
            race(16, i -> {
                try {
                    (i % 2 == 0 ? a : b).redeem(token, 7, "n" + i);
                    ok.incrementAndGet();
                } catch (JoinTokenException e) {
                    assertEquals(JoinTokenException.Reason.ALREADY_USED, e.reason());
                    used.incrementAndGet();
                }
            });
            assertEquals(1, ok.get(), "one redemption");
            assertEquals(15, used.get());
        }
    }

    @Test
    void concurrentCrlNumbersThroughTwoStoresNeverRepeat() throws Exception {
        Path shared = tmp.resolve("numbers");
        CaStateStore a = CaStateStore.files(shared);
        CaStateStore b = CaStateStore.files(shared);
        Set<BigInteger> seen = ConcurrentHashMap.newKeySet();
        race(8, i -> {
            for (int k = 0; k < 25; k++) {
                assertTrue(seen.add((i % 2 == 0 ? a : b).nextCrlNumber()), "a number was handed out twice");
            }
        });
        assertEquals(200, seen.size());
        assertEquals(BigInteger.valueOf(201), a.nextCrlNumber());
    }

    private interface Racer {
        void run(int i) throws Exception;
    }

    private static void race(int threads, Racer racer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int n = i;
                all.add(pool.submit(() -> {
                    start.await();
                    racer.run(n);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
