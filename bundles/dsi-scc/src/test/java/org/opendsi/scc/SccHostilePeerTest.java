package org.opendsi.scc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each test attacks the hub while a good Security Manager keeps exchanging requests and messages
 * with it; after each test the good connection must be the same, undisturbed one.
 */
@Timeout(30)
class SccHostilePeerTest extends SccTestSupport {
    static final String GOOD = TestPki.CLUSTER + "/node/1";

    SccServer server;
    SccClient good;
    Instant goodSince;
    final List<SccConnectionState> goodStates = new CopyOnWriteArrayList<>();
    final AtomicInteger goodOk = new AtomicInteger();
    final AtomicInteger goodFailed = new AtomicInteger();
    final AtomicInteger goodReceived = new AtomicInteger();
    final AtomicReference<Throwable> goodError = new AtomicReference<>();
    volatile boolean running = true;
    Thread traffic;

    static SccOptions serverOptions() {
        return fastOptions().toBuilder().heartbeatTimeout(Duration.ofSeconds(6)).frameReadTimeout(Duration.ofMillis(800))
                .handshakeTimeout(Duration.ofMillis(1200)).build();
    }

    @BeforeEach
    void startGoodConnection() throws Exception {
        server = startServer(serverOptions());
        server.onRequest("echo", (p, m) -> CompletableFuture.completedFuture(m.payload()));
        good = client(pki.credentials(pki.node(1)), server, fastOptions());
        good.addStateListener((s, c) -> goodStates.add(s));
        good.subscribe("tick", (p, m) -> goodReceived.incrementAndGet());
        good.connect().get(5, TimeUnit.SECONDS);
        await("good peer", Duration.ofSeconds(3), () -> server.peer(GOOD).isPresent());
        goodSince = server.peer(GOOD).orElseThrow().connectedSince();
        traffic = new Thread(() -> {
            int i = 0;
            while (running) {
                try {
                    SccMessage r = good.request("echo", payload("i", i), SccPriority.CONTROL, Duration.ofSeconds(2))
                            .get(3, TimeUnit.SECONDS);
                    if (r.payload().get("i").asInt() != i) {
                        throw new AssertionError("wrong echo");
                    }
                    server.publish("tick", payload("i", i), SccPriority.BULK).get(3, TimeUnit.SECONDS);
                    goodOk.incrementAndGet();
                    i++;
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable t) {
                    goodFailed.incrementAndGet();
                    goodError.compareAndSet(null, t);
                }
            }
        }, "good-traffic");
        traffic.start();
        await("traffic flowing", Duration.ofSeconds(3), () -> goodOk.get() > 3);
    }

    @AfterEach
    void goodConnectionUndisturbed() throws Exception {
        int before = goodOk.get();
        await("traffic still flowing after the attack", Duration.ofSeconds(3), () -> goodOk.get() > before + 5);
        running = false;
        traffic.join(5000);
        assertEquals(0, goodFailed.get(), "good connection failures: " + goodError.get());
        assertEquals(List.of(SccConnectionState.CONNECTING, SccConnectionState.CONNECTED), goodStates,
                "good client never lost its connection");
        assertEquals(goodSince, server.peer(GOOD).orElseThrow().connectedSince(), "same connection");
        assertTrue(goodReceived.get() > 0);
    }

    private void assertRejected(SccCredentials creds, String expectedCause) throws Exception {
        SccClient bad = transport.createClient(creds, fastOptions(), "127.0.0.1", server.localAddress().getPort());
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        AtomicInteger connected = new AtomicInteger();
        bad.addStateListener((s, c) -> {
            if (s == SccConnectionState.CONNECTED) {
                connected.incrementAndGet();
            }
            if (c != null) {
                causes.add(c);
            }
        });
        bad.connect();
        await("rejections", Duration.ofSeconds(5), () -> causes.size() >= 2); // retried with back-off, rejected again
        bad.close();
        assertEquals(0, connected.get());
        assertEquals(1, server.peers().size(), "only the good peer: " + server.peers());
        if (expectedCause != null) {
            String all = causes.toString();
            assertTrue(all.toLowerCase().contains(expectedCause), "cause mentions " + expectedCause + ": " + all);
        }
    }

    @Test
    void certificateFromAnotherCaRejected() throws Exception {
        TestPki.Issued foreign = pki.issue(pki.foreign, "intruder", TestPki.CLUSTER + "/node/66");
        assertRejected(pki.credentials(foreign), null);
    }

    @Test
    void expiredCertificateRejected() throws Exception {
        assertRejected(pki.credentials(pki.expired(67)), null);
    }

    @Test
    void certificateRevokedAfterServerStartRejected() throws Exception {
        TestPki.Issued victim = pki.node(68);
        // connects fine first, then its certificate is revoked: the live connection is closed by
        // revalidatePeers(), and new connections are refused at the handshake
        SccClient c = client(pki.credentials(victim), server, fastOptions());
        c.connect().get(5, TimeUnit.SECONDS);
        await("victim listed", Duration.ofSeconds(3), () -> server.peers().size() == 2);
        c.close();
        await("victim gone", Duration.ofSeconds(3), () -> server.peers().size() == 1);

        pki.revoke(pki.nodeCa, victim.leaf());
        assertRejected(pki.credentials(victim), null);
    }

    @Test
    void revalidatePeersClosesRevokedLiveConnection() throws Exception {
        TestPki.Issued victim = pki.node(69);
        SccClient c = client(pki.credentials(victim), server, fastOptions());
        c.connect().get(5, TimeUnit.SECONDS);
        await("victim listed", Duration.ofSeconds(3), () -> server.peers().size() == 2);
        assertTrue(server.revalidatePeers().isEmpty());
        pki.revoke(pki.nodeCa, victim.leaf());
        List<SccPeer> dropped = server.revalidatePeers();
        assertEquals(List.of(TestPki.CLUSTER + "/node/69"), dropped.stream().map(SccPeer::id).toList());
        await("victim disconnected", Duration.ofSeconds(3), () -> server.peers().size() == 1);
        Thread.sleep(300); // it keeps trying and is refused
        assertFalse(server.peer(TestPki.CLUSTER + "/node/69").isPresent());
        c.close();
    }

    @Test
    void plaintextOnTlsPortClosed() throws Exception {
        try (RawPeer p = RawPeer.plain(server.localAddress().getPort())) {
            p.sendRaw("HELLO {\"v\":1}\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
        }
    }

    @Test
    void garbageAfterTlsHandshakeClosed() throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(70), server.localAddress().getPort())) {
            byte[] junk = new byte[64];
            new Random(7).nextBytes(junk);
            junk[0] = 0;
            junk[1] = 0;
            junk[2] = 0;
            junk[3] = 60; // plausible length, body is not JSON
            p.sendRaw(junk);
            JsonNode err = p.readFrame("ERR", Duration.ofSeconds(3));
            assertNotNull(err);
            assertEquals("malformed", err.path("code").asText());
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
        }
        try (RawPeer p = RawPeer.tls(pki.node(71), server.localAddress().getPort())) {
            byte[] junk = new byte[4096];
            new Random(8).nextBytes(junk);
            junk[0] = (byte) 0xff; // absurd length
            p.sendRaw(junk);
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
        }
    }

    @Test
    void oversizedFrameLengthClosed() throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(72), server.localAddress().getPort())) {
            p.hello();
            assertEquals("HELLO", p.readFrame(Duration.ofSeconds(3)).path("t").asText());
            p.out.writeInt(1024 * 1024 + 1);
            p.out.write(new byte[1024]);
            p.out.flush();
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
        }
    }

    @Test
    void slowSenderClosedAfterFrameReadTimeout() throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(73), server.localAddress().getPort())) {
            p.hello();
            assertEquals("HELLO", p.readFrame(Duration.ofSeconds(3)).path("t").asText());
            await("listed", Duration.ofSeconds(2), () -> server.peer(TestPki.CLUSTER + "/node/73").isPresent());
            long t0 = System.nanoTime();
            p.out.writeInt(100);
            p.out.write("{\"v\":1,".getBytes(StandardCharsets.US_ASCII)); // and never the rest
            p.out.flush();
            assertTrue(p.closedWithin(Duration.ofSeconds(4)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 700 && ms < 3000, "closed after " + ms + " ms (frame read timeout 800 ms, heartbeat 6 s)");
        }
        await("slow peer removed", Duration.ofSeconds(2), () -> server.peers().size() == 1);
    }

    @Test
    void unknownMessageTypeAnsweredWithErrorConnectionKept() throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(74), server.localAddress().getPort())) {
            p.hello();
            assertEquals("HELLO", p.readFrame(Duration.ofSeconds(3)).path("t").asText());
            p.sendFrame("{\"v\":1,\"t\":\"FROBNICATE\",\"id\":\"m1\"}");
            JsonNode err = p.readFrame("ERR", Duration.ofSeconds(3));
            assertEquals("unknown-type", err.path("code").asText());
            assertEquals("m1", err.path("cid").asText());
            assertFalse(err.path("fatal").asBoolean());
            p.sendFrame("{\"v\":1,\"t\":\"PING\",\"id\":\"p1\"}");
            JsonNode pong = p.readFrame("PONG", Duration.ofSeconds(3));
            assertEquals("p1", pong.path("cid").asText());
            assertTrue(server.peer(TestPki.CLUSTER + "/node/74").isPresent());
        }
    }

    @Test
    void clientThatNeverSendsHelloClosed() throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(75), server.localAddress().getPort())) {
            long t0 = System.nanoTime();
            JsonNode err = p.readFrame("ERR", Duration.ofSeconds(4));
            assertEquals("hello-timeout", err.path("code").asText());
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 3500);
        }
    }

    @Test
    void unknownProtocolMajorRefusedWithClearError() throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(76), server.localAddress().getPort())) {
            p.sendFrame("{\"v\":2,\"t\":\"HELLO\",\"proto\":\"2.0\",\"versions\":[2]}");
            JsonNode err = p.readFrame(Duration.ofSeconds(3));
            assertEquals("ERR", err.path("t").asText());
            assertEquals("unsupported-version", err.path("code").asText());
            assertTrue(err.path("msg").asText().contains("1.x"), err.toString());
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
        }
    }

    @Test
    void tls12Refused() throws Exception {
        assertThrows(Exception.class, () -> {
            try (RawPeer p = RawPeer.tls(pki.node(77), server.localAddress().getPort(), "TLSv1.2")) {
                p.hello();
                p.readFrame(Duration.ofSeconds(2));
            }
        });
    }

    @Test
    void clientRejectsServerWithoutSecurityServerIdentity() throws Exception {
        // a node certificate of the right CA, but not the SS identity
        SccServer impostor = transport.createServer(pki.credentials(pki.node(90)), serverOptions(),
                new java.net.InetSocketAddress("127.0.0.1", 0)).start();
        SccClient c = client(pki.credentials(pki.node(2)), impostor, fastOptions());
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        c.addStateListener((s, t) -> {
            if (t != null) {
                causes.add(t);
            }
        });
        c.connect();
        await("refused", Duration.ofSeconds(4), () -> !causes.isEmpty());
        assertTrue(impostor.peers().isEmpty());
        assertEquals(SccConnectionState.CONNECTING == c.state() || SccConnectionState.DISCONNECTED == c.state(), true);
        c.close();

        // and an SS identity issued by a foreign CA
        TestPki.Issued foreignSs = pki.issue(pki.foreign, "fake-ss", TestPki.SS_PREFIX);
        SccServer fake = transport.createServer(pki.foreignCredentials(foreignSs), serverOptions(),
                new java.net.InetSocketAddress("127.0.0.1", 0)).start();
        SccClient c2 = client(pki.credentials(pki.node(3)), fake, fastOptions());
        AtomicInteger refused = new AtomicInteger();
        c2.addStateListener((s, t) -> {
            if (t != null) {
                refused.incrementAndGet();
            }
        });
        c2.connect();
        await("refused", Duration.ofSeconds(4), () -> refused.get() > 0);
        assertTrue(c2.server().isEmpty());
        c2.close();
        impostor.close();
        fake.close();
    }
}
