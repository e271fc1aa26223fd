package org.opendsi.scc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Certificates swapped in place ({@code updateCredentials}): the listener stays open, open connections
 * carry on and re-authenticate in band (REAUTH, PROTOCOL.md), new handshakes present the new
 * certificate; and the attacks on REAUTH a peer could try (another identity, a key it does not hold,
 * a proof replayed from another connection, a chain the cluster does not trust) are refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SccCredentialRenewalTest extends SccTestSupport {

    private static final String NODE2 = TestPki.CLUSTER + "/node/2";

    // ------------------------------------------------------------------ the hub renews

    @Test
    void serverRenewalKeepsTheListenerAndEveryConnection() throws Exception {
        SccServer server = startServer(fastOptions());
        server.onRequest("echo", (p, m) -> CompletableFuture.completedFuture(m.payload()));
        List<String> events = new CopyOnWriteArrayList<>();
        server.addPeerListener(new SccPeerListener() {
            @Override
            public void peerConnected(SccPeer peer) {
                events.add("connected " + peer.id());
            }

            @Override
            public void peerDisconnected(SccPeer peer, String reason) {
                events.add("disconnected " + peer.id() + ": " + reason);
            }
        });
        List<SccClient> clients = new ArrayList<>();
        List<SccPeer> hubs = new ArrayList<>();
        for (int snid = 1; snid <= 3; snid++) {
            SccClient c = connectedClient(snid, server, fastOptions());
            c.addStateListener((s, cause) -> events.add("client state " + s));
            clients.add(c);
            hubs.add(c.server().orElseThrow());
        }
        // the hub tells its listeners a moment after the client is connected: wait for all three
        await("the hub reported 3 peers", Duration.ofSeconds(3),
                () -> events.stream().filter(e -> e.startsWith("connected ")).count() == 3);
        events.clear();
        TestPki.Issued renewed = pki.ss();

        try (PortProbe probe = new PortProbe(server.localAddress().getPort())) {
            await("the probe runs", Duration.ofSeconds(3), () -> probe.answered.get() > 5);
            int took = server.updateCredentials(pki.credentials(renewed)).get(10, TimeUnit.SECONDS);
            assertEquals(3, took, "every connected peer took the renewed certificate");
            await("more probes after the swap", Duration.ofSeconds(3), () -> probe.answered.get() > 20);
            probe.assertAlwaysAnswered();
        }

        for (int i = 0; i < clients.size(); i++) {
            SccPeer hub = clients.get(i).server().orElseThrow();
            assertSame(hubs.get(i), hub, "the same connection to the hub");
            assertEquals(renewed.leaf(), hub.certificateChain().get(0), "the open connection sees the new certificate");
            SccMessage r = clients.get(i).request("echo", payload("i", i), SccPriority.CONTROL).get(5, TimeUnit.SECONDS);
            assertEquals(i, r.payload().get("i").asInt());
        }
        SccClient fresh = connectedClient(4, server, fastOptions());
        assertEquals(renewed.leaf(), fresh.server().orElseThrow().certificateChain().get(0),
                "a new handshake presents the new certificate");
        await("the hub reported node 4", Duration.ofSeconds(3), () -> events.contains("connected " + TestPki.CLUSTER + "/node/4"));
        events.removeIf(e -> e.contains("/node/4"));
        assertEquals(List.of(), events, "no connection was dropped or replaced");
    }

    @Test
    void renewalsUnderTrafficLoseNothing() throws Exception {
        SccServer server = startServer(fastOptions());
        AtomicInteger received = new AtomicInteger();
        server.subscribe("count", (p, m) -> received.incrementAndGet());
        SccClient c = connectedClient(2, server, fastOptions());
        SccPeer hub = c.server().orElseThrow();
        // the hub lists the peer a moment after the client is connected
        await("the hub lists node 2", Duration.ofSeconds(3), () -> server.peer(NODE2).isPresent());
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 50; i++) {
                sent.add(c.publish("count", payload("i", i), SccPriority.CONTROL));
            }
            // both ends renew at the same time, with messages in flight in both directions
            CompletableFuture<Integer> s = server.updateCredentials(pki.credentials(pki.ss()));
            CompletableFuture<Void> cl = c.updateCredentials(pki.credentials(pki.node(2)));
            assertEquals(1, s.get(10, TimeUnit.SECONDS));
            cl.get(10, TimeUnit.SECONDS);
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertEquals(500, received.get(), "every message acknowledged and handled once");
        assertSame(hub, c.server().orElseThrow(), "one connection throughout");
        assertEquals(1, server.peers().size());
    }

    @Test
    void aHubCannotTurnIntoAnotherIdentity() throws Exception {
        SccServer server = startServer(fastOptions());
        SccClient c = connectedClient(2, server, fastOptions());
        List<SccConnectionState> states = new CopyOnWriteArrayList<>();
        c.addStateListener((s, cause) -> states.add(s));
        // the hub's "renewed" certificate is a node's: the client refuses it on the open connection
        int took = server.updateCredentials(pki.credentials(pki.node(5))).get(10, TimeUnit.SECONDS);
        assertEquals(0, took);
        await("the client dropped the connection", Duration.ofSeconds(3),
                () -> states.contains(SccConnectionState.DISCONNECTED));
        // and the handshakes of its reconnects are refused too (not the Security Server identity)
        await("several reconnects refused", Duration.ofSeconds(10),
                () -> states.stream().filter(s -> s == SccConnectionState.DISCONNECTED).count() >= 3);
        assertTrue(c.server().isEmpty(), "never connected to a hub that is not the SS: " + states);
        assertFalse(states.contains(SccConnectionState.CONNECTED), states.toString());
    }

    // ------------------------------------------------------------------ a spoke renews

    @Test
    void clientRenewalReauthenticatesTheOpenConnection() throws Exception {
        SccServer server = startServer(fastOptions());
        List<String> reauthenticated = new CopyOnWriteArrayList<>();
        server.addPeerListener(new SccPeerListener() {
            @Override
            public void peerConnected(SccPeer peer) {
            }

            @Override
            public void peerDisconnected(SccPeer peer, String reason) {
                reauthenticated.add("disconnected: " + reason);
            }

            @Override
            public void peerReauthenticated(SccPeer peer) {
                reauthenticated.add(peer.id() + " " + peer.certificateChain().get(0).getSerialNumber());
            }
        });
        TestPki.Issued first = pki.node(2);
        SccClient c = client(pki.credentials(first), server, fastOptions());
        c.connect().get(5, TimeUnit.SECONDS);
        await("peer listed", Duration.ofSeconds(3), () -> server.peer(NODE2).isPresent());
        SccPeer peer = server.peer(NODE2).orElseThrow();
        TestPki.Issued renewed = pki.node(2);
        c.updateCredentials(pki.credentials(renewed)).get(10, TimeUnit.SECONDS);
        assertEquals(renewed.leaf(), peer.certificateChain().get(0), "the hub sees the renewed certificate");
        assertEquals(renewed.leaf().getNotAfter().toInstant(), peer.certificateExpiry());
        assertSame(peer, server.peer(NODE2).orElseThrow(), "on the same connection");
        await("listener told", Duration.ofSeconds(3), () -> !reauthenticated.isEmpty());
        assertEquals(List.of(NODE2 + " " + renewed.leaf().getSerialNumber()), reauthenticated);
        // revalidation now checks the renewed chain: revoking the first certificate drops nothing...
        pki.revoke(pki.nodeCa, first.leaf());
        assertTrue(server.revalidatePeers().isEmpty());
        // ...while revoking the renewed one does
        pki.revoke(pki.nodeCa, renewed.leaf());
        assertEquals(List.of(NODE2), server.revalidatePeers().stream().map(SccPeer::id).toList());
    }

    // ------------------------------------------------------------------ attacks on REAUTH

    @Test
    void reauthAsAnotherNodeIsRefused() throws Exception {
        SccServer server = startServer(fastOptions());
        TestPki.Issued other = pki.node(3);
        assertRefused(server, (hello) -> reauth(other.chain(), other.key(), hello), "names " + TestPki.CLUSTER + "/node/3");
    }

    @Test
    void reauthWithoutTheNewKeyIsRefused() throws Exception {
        SccServer server = startServer(fastOptions());
        TestPki.Issued stolen = pki.node(2); // a certificate of node 2 whose key the attacker does not hold
        TestPki.Issued attackerKey = pki.node(2);
        assertRefused(server, (hello) -> reauth(stolen.chain(), attackerKey.key(), hello), "does not verify");
    }

    @Test
    void reauthProofFromAnotherConnectionIsRefused() throws Exception {
        SccServer server = startServer(fastOptions());
        TestPki.Issued renewed = pki.node(2);
        // a correct proof for other nonces (e.g. captured on another connection) is worth nothing here
        assertRefused(server, (hello) -> reauth(renewed.chain(), renewed.key(),
                new Nonces(randomNonce(), hello.serverNonce)), "does not verify");
    }

    @Test
    void reauthWithUntrustedExpiredOrRevokedChainIsRefused() throws Exception {
        SccServer server = startServer(fastOptions());
        TestPki.Issued foreign = pki.issue(pki.foreign, "sm-2", NODE2);
        assertRefused(server, (hello) -> reauth(foreign.chain(), foreign.key(), hello), "rejected");
        TestPki.Issued expired = pki.expired(2);
        assertRefused(server, (hello) -> reauth(expired.chain(), expired.key(), hello), "rejected");
        TestPki.Issued revoked = pki.node(2);
        pki.revoke(pki.nodeCa, revoked.leaf());
        assertRefused(server, (hello) -> reauth(revoked.chain(), revoked.key(), hello), "revoked");
    }

    @Test
    void reauthOnAConnectionWithoutNoncesIsRefused() throws Exception {
        SccServer server = startServer(fastOptions());
        TestPki.Issued renewed = pki.node(2);
        try (RawPeer p = RawPeer.tls(pki.node(2), server.localAddress().getPort())) {
            p.hello(); // a 1.0 HELLO: no nonce
            assertNotNull(p.readFrame("HELLO", Duration.ofSeconds(3)));
            p.sendFrame(reauth(renewed.chain(), renewed.key(), new Nonces(randomNonce(), randomNonce())).toString());
            JsonNode err = p.readFrame("ERR", Duration.ofSeconds(3));
            assertNotNull(err);
            assertEquals("reauth-refused", err.path("code").asText(), err.toString());
            assertTrue(p.closedWithin(Duration.ofSeconds(3)));
        }
    }

    @Test
    void documentedReauthIsAccepted() throws Exception {
        // the wire format of PROTOCOL.md, built by hand: proves the document and the code agree
        SccServer server = startServer(fastOptions());
        TestPki.Issued renewed = pki.node(2);
        try (RawPeer p = RawPeer.tls(pki.node(2), server.localAddress().getPort())) {
            Nonces n = hello(p);
            await("peer listed", Duration.ofSeconds(3), () -> server.peer(NODE2).isPresent());
            ObjectNode frame = reauth(renewed.chain(), renewed.key(), n);
            p.sendFrame(frame.toString());
            JsonNode rep = p.readFrame("REP", Duration.ofSeconds(3));
            assertNotNull(rep, "REAUTH answered");
            assertEquals(frame.get("id").asText(), rep.path("cid").asText());
            assertEquals(renewed.leaf(), server.peer(NODE2).orElseThrow().certificateChain().get(0));
        }
    }

    @Test
    void serverRenewalWithAProtocol10PeerKeepsItsConnection() throws Exception {
        SccServer server = startServer(fastOptions());
        try (RawPeer p = RawPeer.tls(pki.node(2), server.localAddress().getPort())) {
            p.hello(); // 1.0: cannot re-authenticate, sees the new certificate at its next handshake
            assertNotNull(p.readFrame("HELLO", Duration.ofSeconds(3)));
            await("peer listed", Duration.ofSeconds(3), () -> server.peer(NODE2).isPresent());
            assertEquals(0, server.updateCredentials(pki.credentials(pki.ss())).get(10, TimeUnit.SECONDS));
            assertFalse(p.closedWithin(Duration.ofMillis(500)), "connection kept");
            assertTrue(server.peer(NODE2).isPresent());
        }
    }

    // ------------------------------------------------------------------ fixtures

    private record Nonces(byte[] clientNonce, byte[] serverNonce) {
    }

    private interface FrameMaker {
        ObjectNode make(Nonces hello) throws Exception;
    }

    /** A raw node-2 connection sends the REAUTH frame made by {@code maker}: ERR reauth-refused, closed. */
    private void assertRefused(SccServer server, FrameMaker maker, String reason) throws Exception {
        try (RawPeer p = RawPeer.tls(pki.node(2), server.localAddress().getPort())) {
            Nonces n = hello(p);
            await("peer listed", Duration.ofSeconds(3), () -> server.peer(NODE2).isPresent());
            List<X509Certificate> before = server.peer(NODE2).orElseThrow().certificateChain();
            ObjectNode frame = maker.make(n);
            p.sendFrame(frame.toString());
            JsonNode err = p.readFrame("ERR", Duration.ofSeconds(3));
            assertNotNull(err, "refused with an error frame");
            assertEquals("reauth-refused", err.path("code").asText(), err.toString());
            assertEquals(frame.get("id").asText(), err.path("cid").asText());
            assertTrue(err.path("msg").asText().contains(reason), err.toString());
            assertTrue(p.closedWithin(Duration.ofSeconds(3)), "the connection is closed");
            assertTrue(server.peer(NODE2).map(x -> x.certificateChain().equals(before)).orElse(true),
                    "the hub never took the refused chain");
            await("peer gone", Duration.ofSeconds(3), () -> server.peer(NODE2).isEmpty());
        }
    }

    /** A 1.1 HELLO with a fresh nonce; returns both nonces. */
    private static Nonces hello(RawPeer p) throws IOException {
        byte[] mine = randomNonce();
        ObjectNode h = JSON.createObjectNode();
        h.put("v", 1);
        h.put("t", "HELLO");
        h.put("proto", "1.1");
        h.putArray("versions").add(1);
        h.put("role", "client");
        h.putArray("subs");
        h.put("nonce", Base64.getEncoder().encodeToString(mine));
        p.sendFrame(h.toString());
        JsonNode reply = p.readFrame("HELLO", Duration.ofSeconds(3));
        assertNotNull(reply, "server HELLO");
        byte[] theirs = Base64.getDecoder().decode(reply.path("nonce").asText());
        assertEquals(32, theirs.length, "the server's nonce: " + reply);
        return new Nonces(mine, theirs);
    }

    /** A client's REAUTH frame exactly as PROTOCOL.md describes it. */
    private static ObjectNode reauth(List<X509Certificate> chain, PrivateKey key, Nonces n) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.writeBytes("DSI-SCC-REAUTH-1\0".getBytes(StandardCharsets.US_ASCII));
        t.write('C');
        t.writeBytes(n.clientNonce());
        t.writeBytes(n.serverNonce());
        t.writeBytes(sha.digest(chain.get(0).getEncoded()));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(t.toByteArray());
        ObjectNode f = JSON.createObjectNode();
        f.put("v", 1);
        f.put("t", "REAUTH");
        f.put("id", java.util.UUID.randomUUID().toString());
        ArrayNode c = f.putArray("chain");
        for (X509Certificate x : chain) {
            c.add(Base64.getEncoder().encodeToString(x.getEncoded()));
        }
        f.put("sig", Base64.getEncoder().encodeToString(s.sign()));
        return f;
    }

    private static byte[] randomNonce() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** Connects to a port every 5 ms on a thread of its own; every refused probe is recorded. */
    private static final class PortProbe implements AutoCloseable {
        final AtomicInteger answered = new AtomicInteger();
        final List<String> refused = new CopyOnWriteArrayList<>();
        private volatile boolean running = true;
        private final Thread thread;

        PortProbe(int port) {
            thread = new Thread(() -> {
                while (running) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                        answered.incrementAndGet();
                    } catch (IOException e) {
                        refused.add(e.toString());
                    }
                    try {
                        Thread.sleep(5); // the probe's period
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "port-probe");
            thread.setDaemon(true);
            thread.start();
        }

        void assertAlwaysAnswered() {
            assertEquals(List.of(), refused, "refused probes");
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }
}
