package org.opendsi.scc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SccResilienceTest extends SccTestSupport {

    /** A hand-driven hub: TLS 1.3 with client auth, answers HELLO, then does only what the test says. */
    static final class RawHub implements AutoCloseable {
        final SSLServerSocket ss;
        final List<RawPeer> accepted = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        RawHub(TestPki.Issued id) throws Exception {
            ss = (SSLServerSocket) RawPeer.sslContext(id).getServerSocketFactory().createServerSocket(0, 50,
                    java.net.InetAddress.getByName("127.0.0.1"));
            ss.setEnabledProtocols(new String[] {"TLSv1.3"});
            ss.setNeedClientAuth(true);
            acceptor = new Thread(() -> {
                while (!ss.isClosed()) {
                    try {
                        RawPeer p = RawPeer.wrap(ss.accept());
                        JsonNode hello = p.readFrame(Duration.ofSeconds(3));
                        if (hello != null && "HELLO".equals(hello.path("t").asText())) {
                            p.sendFrame("{\"v\":1,\"t\":\"HELLO\",\"proto\":\"1.0\",\"role\":\"server\"}");
                            accepted.add(p);
                        } else {
                            p.close();
                        }
                    } catch (Exception e) {
                        // closed or failed handshake
                    }
                }
            }, "raw-hub");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return ss.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            ss.close();
            accepted.forEach(RawPeer::close);
        }
    }

    @Test
    void serverDetectsHeartbeatTimeout() throws Exception {
        SccServer server = startServer(fastOptions());
        List<String> reasons = new CopyOnWriteArrayList<>();
        server.addPeerListener(new SccPeerListener() {
            public void peerConnected(SccPeer peer) {
            }

            public void peerDisconnected(SccPeer peer, String reason) {
                reasons.add(reason);
            }
        });
        try (RawPeer p = RawPeer.tls(pki.node(20), server.localAddress().getPort())) {
            p.hello();
            assertEquals("HELLO", p.readFrame(Duration.ofSeconds(3)).path("t").asText());
            await("listed", Duration.ofSeconds(2), () -> server.peers().size() == 1);
            long t0 = System.nanoTime();
            // silent from now on: no PING
            assertTrue(p.closedWithin(Duration.ofSeconds(5)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 1200 && ms < 4000, "closed after " + ms + " ms, heartbeat timeout 1500 ms");
        }
        await("removed", Duration.ofSeconds(2), () -> server.peers().isEmpty() && !reasons.isEmpty());
        assertTrue(reasons.get(0).contains("heartbeat"), reasons.toString());
    }

    @Test
    void clientDetectsHeartbeatTimeoutAndReconnects() throws Exception {
        try (RawHub hub = new RawHub(pki.ss())) {
            SccClient c = transport.createClient(pki.credentials(pki.node(21)), fastOptions(), "127.0.0.1", hub.port());
            List<SccConnectionState> states = new CopyOnWriteArrayList<>();
            List<Throwable> causes = new CopyOnWriteArrayList<>();
            c.addStateListener((s, t) -> {
                states.add(s);
                if (t != null) {
                    causes.add(t);
                }
            });
            c.connect().get(5, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            // the hub never answers PINGs: the client must give up on it after the heartbeat timeout
            await("disconnected", Duration.ofSeconds(5), () -> states.contains(SccConnectionState.DISCONNECTED));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 1200 && ms < 4000, "detected after " + ms + " ms");
            assertTrue(causes.get(0).toString().contains("heartbeat"), causes.toString());
            await("reconnected", Duration.ofSeconds(5), () -> hub.accepted.size() >= 2
                    && states.get(states.size() - 1) == SccConnectionState.CONNECTED);
            c.close();
        }
    }

    @Test
    void resumeHandlerGetsUnacknowledgedMessages() throws Exception {
        try (RawHub hub = new RawHub(pki.ss())) {
            SccClient c = transport.createClient(pki.credentials(pki.node(22)), fastOptions().toBuilder()
                    .heartbeatTimeout(Duration.ofSeconds(10)).build(), "127.0.0.1", hub.port());
            List<SccMessage> resumed = new CopyOnWriteArrayList<>();
            AtomicInteger resumes = new AtomicInteger();
            c.setResumeHandler((client, unacked) -> {
                resumes.incrementAndGet();
                resumed.addAll(unacked);
            });
            c.connect().get(5, TimeUnit.SECONDS);
            CompletableFuture<Void> f1 = c.publish("policy.ack", payload("version", 41), SccPriority.CONTROL);
            CompletableFuture<Void> f2 = c.publish("alarm", payload("scid", 10), SccPriority.ALARM);
            RawPeer first = hub.accepted.get(0);
            // the hub reads them but never acknowledges, then the connection drops
            List<String> seen = new ArrayList<>();
            while (seen.size() < 2) {
                JsonNode n = first.readFrame("PUB", Duration.ofSeconds(3));
                assertNotNull(n);
                seen.add(n.path("topic").asText());
            }
            first.close();
            ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> f1.get(5, TimeUnit.SECONDS));
            assertEquals(SccException.CLOSED, ((SccException) ex.getCause()).code());
            org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> f2.get(5, TimeUnit.SECONDS));
            await("resumed", Duration.ofSeconds(5), () -> resumes.get() == 1);
            assertEquals(List.of("policy.ack", "alarm"), resumed.stream().map(SccMessage::topic).toList());
            assertEquals(41, resumed.get(0).payload().get("version").asInt());
            c.close();
        }
    }

    @Test
    void reconnectsAfterServerRestartWithBackoff() throws Exception {
        SccOptions opts = fastOptions();
        SccServer server = startServer(opts);
        int port = server.localAddress().getPort();
        SccClient c = client(pki.credentials(pki.node(23)), server, opts);
        List<Long> connectingAt = new CopyOnWriteArrayList<>();
        List<SccConnectionState> states = new CopyOnWriteArrayList<>();
        c.addStateListener((s, t) -> {
            states.add(s);
            if (s == SccConnectionState.CONNECTING) {
                connectingAt.add(System.nanoTime());
            }
        });
        List<String> got = new CopyOnWriteArrayList<>();
        c.subscribe("policy.update", (p, m) -> got.add(m.payload().get("v").asText()));
        c.connect().get(5, TimeUnit.SECONDS);

        server.close();
        await("disconnected", Duration.ofSeconds(3), () -> c.state() != SccConnectionState.CONNECTED);
        int attemptsBefore = connectingAt.size();
        Thread.sleep(2000); // down for 2 s
        int attemptsWhileDown = connectingAt.size() - attemptsBefore;
        // back-off 50 ms doubling to 400 ms (jittered 50-100 %): roughly 5-15 attempts in 2 s, not 40+
        assertTrue(attemptsWhileDown >= 3 && attemptsWhileDown <= 20, "attempts while down: " + attemptsWhileDown);
        List<Long> gaps = new ArrayList<>();
        for (int i = attemptsBefore + 1; i < connectingAt.size(); i++) {
            gaps.add(TimeUnit.NANOSECONDS.toMillis(connectingAt.get(i) - connectingAt.get(i - 1)));
        }
        assertTrue(gaps.stream().allMatch(g -> g <= 400 + 300), "gaps capped by backoffMax: " + gaps);
        assertTrue(gaps.get(gaps.size() - 1) >= 150, "later gaps grew: " + gaps);

        SccServer restarted = transport.createServer(pki.credentials(pki.ss()), opts,
                new InetSocketAddress("127.0.0.1", port)).start();
        await("reconnected", Duration.ofSeconds(5), () -> c.state() == SccConnectionState.CONNECTED
                && restarted.peers().size() == 1);
        // subscriptions were re-announced
        assertEquals(1, restarted.publish("policy.update", payload("v", "7"), SccPriority.CONTROL).get(3, TimeUnit.SECONDS));
        await("delivered", Duration.ofSeconds(3), () -> got.contains("7"));
        c.close();
        restarted.close();
    }
}
