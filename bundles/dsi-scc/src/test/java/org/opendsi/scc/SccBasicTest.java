package org.opendsi.scc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.BinaryNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SccBasicTest extends SccTestSupport {

    @Test
    void mutualTls13AndIdentities() throws Exception {
        SccServer server = startServer(fastOptions());
        SccClient client = connectedClient(3, server, fastOptions());
        await("peer listed", Duration.ofSeconds(3), () -> server.peers().size() == 1);

        SccPeer sm = server.peers().get(0);
        assertEquals(TestPki.CLUSTER + "/node/3", sm.id());
        assertEquals(TestPki.CLUSTER + "/node/3", sm.uriSan().orElseThrow());
        assertTrue(sm.subject().contains("CN=sm-3"), sm.subject());
        assertEquals(2, sm.certificateChain().size(), "leaf + node CA");
        assertEquals("TLSv1.3", sm.tlsProtocol());
        assertEquals("1.1", sm.protocolVersion());
        assertTrue(sm.certificateExpiry().isAfter(java.time.Instant.now()));
        assertTrue(sm.connectedSince() != null && sm.remoteAddress() != null);

        SccPeer ss = client.server().orElseThrow();
        assertEquals(TestPki.SS_PREFIX, ss.id());
        assertEquals("TLSv1.3", ss.tlsProtocol());
        assertEquals(SccConnectionState.CONNECTED, client.state());

        // heartbeats keep updating lastHeartbeat
        java.time.Instant hb = sm.lastHeartbeat();
        await("heartbeat", Duration.ofSeconds(2), () -> sm.lastHeartbeat().isAfter(hb));
    }

    @Test
    void publishSubscribeBothDirections() throws Exception {
        SccServer server = startServer(fastOptions());
        List<SccMessage> atServer = new CopyOnWriteArrayList<>();
        List<String> fromPeer = new CopyOnWriteArrayList<>();
        server.subscribe("alarm.*", (p, m) -> {
            atServer.add(m);
            fromPeer.add(p.id());
        });
        SccClient a = connectedClient(1, server, fastOptions());
        SccClient b = connectedClient(2, server, fastOptions());
        List<SccMessage> atA = new CopyOnWriteArrayList<>();
        List<SccMessage> atB = new CopyOnWriteArrayList<>();
        a.subscribe("policy.update", (p, m) -> atA.add(m));
        b.subscribe("policy.*", (p, m) -> atB.add(m));
        b.subscribe("other", (p, m) -> atB.add(m));
        await("subscriptions at hub", Duration.ofSeconds(3), () -> server.peers().size() == 2);
        Thread.sleep(100); // SUB frames

        // spoke -> hub, acknowledged
        a.publish("alarm.dsm", payload("scid", 10), SccPriority.ALARM).get(3, TimeUnit.SECONDS);
        assertEquals(1, atServer.size());
        assertEquals(SccPriority.ALARM, atServer.get(0).priority());
        assertEquals(10, atServer.get(0).payload().get("scid").asInt());
        assertEquals(TestPki.CLUSTER + "/node/1", fromPeer.get(0));

        // hub -> all subscribed spokes
        int n = server.publish("policy.update", payload("version", 42), SccPriority.CONTROL).get(3, TimeUnit.SECONDS);
        assertEquals(2, n);
        await("both received", Duration.ofSeconds(3), () -> atA.size() == 1 && atB.size() == 1);
        assertEquals(42, atA.get(0).payload().get("version").asInt());

        // filtered: only b subscribed to "other"
        assertEquals(1, server.publish("other", payload("x", 1), SccPriority.BULK).get(3, TimeUnit.SECONDS));
        // directed: to a only, binary payload as base64
        byte[] blob = {1, 2, 3, (byte) 0xff};
        server.publish(TestPki.CLUSTER + "/node/1", "policy.update", BinaryNode.valueOf(blob), SccPriority.BULK)
                .get(3, TimeUnit.SECONDS);
        await("directed received", Duration.ofSeconds(3), () -> atA.size() == 2);
        assertEquals(List.of(1, 2, 3, 255), toList(atA.get(1).payload().binaryValue()));
        assertEquals(2, atB.size());
    }

    private static List<Integer> toList(byte[] b) {
        List<Integer> l = new java.util.ArrayList<>();
        for (byte x : b) {
            l.add(x & 0xff);
        }
        return l;
    }

    @Test
    void requestReplyWithTimeoutBothDirections() throws Exception {
        SccServer server = startServer(fastOptions());
        server.onRequest("policy.get", (p, m) -> CompletableFuture.completedFuture(
                payload("version", m.payload().get("have").asInt() + 1)));
        server.onRequest("slow", (p, m) -> new CompletableFuture<>()); // never answers
        server.onRequest("broken", (p, m) -> CompletableFuture.failedFuture(new IllegalStateException("no policy")));
        SccClient client = connectedClient(5, server, fastOptions());
        client.onRequest("contexts.list", (p, m) -> CompletableFuture.completedFuture(payload("n", 3)));

        SccMessage rep = client.request("policy.get", payload("have", 6), SccPriority.CONTROL, Duration.ofSeconds(2))
                .get(3, TimeUnit.SECONDS);
        assertEquals(7, rep.payload().get("version").asInt());
        assertTrue(rep.correlationId() != null);

        long t0 = System.nanoTime();
        ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> client.request("slow", payload("a", 1), SccPriority.CONTROL, Duration.ofMillis(300)).get(3, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, ex.getCause());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));

        ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> client.request("broken", payload("a", 1), SccPriority.CONTROL).get(3, TimeUnit.SECONDS));
        assertEquals(SccException.REMOTE, ((SccException) ex.getCause()).code());
        assertTrue(ex.getCause().getMessage().contains("no policy"));

        ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> client.request("nobody", payload("a", 1), SccPriority.CONTROL).get(3, TimeUnit.SECONDS));
        assertTrue(ex.getCause().getMessage().contains("no-handler"), ex.getCause().getMessage());

        // hub -> spoke request
        await("peer", Duration.ofSeconds(2), () -> server.peers().size() == 1);
        SccMessage r2 = server.request(server.peers().get(0).id(), "contexts.list", payload("x", 0), SccPriority.CONTROL,
                Duration.ofSeconds(2)).get(3, TimeUnit.SECONDS);
        assertEquals(3, r2.payload().get("n").asInt());
        assertEquals(SccConnectionState.CONNECTED, client.state());
    }

    @Test
    void oversizedMessageRejectedLocally() throws Exception {
        SccServer server = startServer(fastOptions().toBuilder().maxFrameSize(4096).build());
        SccClient client = connectedClient(8, server, fastOptions().toBuilder().maxFrameSize(4096).build());
        ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> client.publish("big", payload("s", "x".repeat(10_000)), SccPriority.BULK).get(3, TimeUnit.SECONDS));
        assertEquals(SccException.TOO_LARGE, ((SccException) ex.getCause()).code());
        client.publish("small", payload("s", "x"), SccPriority.BULK).get(3, TimeUnit.SECONDS);
    }

    @Test
    void clientRequiresServerIdentityPrefix() {
        SccException e = org.junit.jupiter.api.Assertions.assertThrows(SccException.class,
                () -> transport.createClient(pki.credentials(pki.node(1)), SccOptions.defaults(), "127.0.0.1", 1));
        assertEquals(SccException.CONFIG, e.code());
    }
}
