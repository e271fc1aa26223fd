package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.await;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.internal.ServerRuntime;

/**
 * A manager that knows several Security Servers ({@code ss.hosts}) of which only the active one
 * listens (a standby refuses connections until it takes over), over the real SCC on loopback. The
 * second SS of the cluster is a real one with the first one's CA directory (what a standby sharing
 * the store has); it gets its own SERVER certificate from that root.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SecurityServerFailoverTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private SccTransport transport;

    @BeforeEach
    void transport() {
        transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
    }

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    @Test
    void aServerThatDoesNotListenIsSkippedForTheOneThatDoes() throws Exception {
        Runtimes.Server a = Runtimes.startServer(tmp.resolve("a"), transport, closeables, null);
        publish(a, "v1");
        NodeConfig cfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", List.of("127.0.0.1:" + freePort(), scc(a)));
        ManagerRuntime sm = joined(cfg, a);
        sm.close();
        closeables.remove(sm);

        // the node starts again: the first Security Server of its list does not listen
        long t0 = System.nanoTime();
        ManagerRuntime again = Runtimes.manager(cfg, transport);
        again.start();
        closeables.add(again);
        await("the manager reaches the listening SS", 10, () -> connectedTo(again, a));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 3_000, "connected after " + ms + " ms");
        await("the SS has the node connected", 5, () -> node(a.runtime(), 2).state() == NodeState.CONNECTED);
        assertTrue(again.status().ssAddress().startsWith(scc(a) + " (one of 127.0.0.1:"), again.status().ssAddress());
        assertTrue(again.status().ssAddress().endsWith(", " + scc(a) + ")"), again.status().ssAddress());
    }

    @Test
    void whenTheActiveServerDiesTheManagerFollowsTheOneThatTookOver() throws Exception {
        Runtimes.Server a = Runtimes.startServer(tmp.resolve("a"), transport, closeables, null);
        publish(a, "v1");
        int portB = freePort();
        NodeConfig cfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", List.of(scc(a), "127.0.0.1:" + portB));
        ManagerRuntime sm = joined(cfg, a);

        stop(a);
        await("the manager sees the SS gone", 10, () -> !"CONNECTED".equals(sm.status().connection()));
        Alarm raised = sm.raise(AlarmPriority.HIGH, "test", "raised while no Security Server was active");
        Thread.sleep(500);
        assertEquals(List.of(raised.id()), sm.queuedAlarms().stream().map(Alarm::id).toList(), "queued meanwhile");

        // the standby takes over: it listens from now on, with a certificate of the same root
        Runtimes.Server b = Runtimes.startServer(tmp.resolve("b"), tmp.resolve("a").resolve("keys"), portB, transport,
                closeables, null);
        publish(b, "v1"); // the same version as the store it shares with A holds
        long t0 = System.nanoTime();
        await("the queued alarm reaches the SS that took over", 10, () -> b.runtime().alarms().stream()
                .anyMatch(s -> s.alarm().id().equals(raised.id())));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(connectedTo(sm, b), sm.status().toString());
        assertTrue(ms < 5_000, "reached after " + ms + " ms");
        // the resume: the hello says which version the node runs, the new SS records it as acked
        await("the new SS knows the node runs v1", 10, () -> node(b.runtime(), 2).ackedVersion() == 1);
        long v2 = publish(b, "v2");
        await("the manager applies v2 from the new SS", 10, () -> sm.status().signedVersion() == v2);
        Thread.sleep(1_000);
        assertEquals(1, b.runtime().alarms().stream().filter(s -> s.alarm().id().equals(raised.id())).count(),
                "delivered once");
        assertEquals(List.of(), sm.queuedAlarms());
        assertEquals(2, b.runtime().alarms().stream().filter(s -> s.alarm().id().equals(raised.id()))
                .findFirst().orElseThrow().alarm().snid());
    }

    @Test
    void aServerThatTookOverAtOnceIsReachedWithinTwoSeconds() throws Exception {
        Runtimes.Server a = Runtimes.startServer(tmp.resolve("a"), transport, closeables, null);
        Runtimes.Server b = Runtimes.startServer(tmp.resolve("b"), tmp.resolve("a").resolve("keys"), 0, transport,
                closeables, null);
        NodeConfig cfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", List.of(scc(a), scc(b)));
        ManagerRuntime sm = joined(cfg, a);
        long t0 = System.nanoTime();
        stop(a);
        await("the manager is on B", 10, () -> connectedTo(sm, b));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 2_000, "on B after " + ms + " ms");
        await("B has the node connected", 5, () -> node(b.runtime(), 2).state() == NodeState.CONNECTED);
    }

    @Test
    void aServerWithoutACertificateOfTheClusterRootIsNeverTaken() throws Exception {
        Runtimes.Server a = Runtimes.startServer(tmp.resolve("a"), transport, closeables, null);
        // an SS of another root (same cluster name, right URI SAN): what someone listening on a listed address could be
        Runtimes.Server impostor = Runtimes.startServer(tmp.resolve("impostor"), transport, closeables, null);
        NodeConfig cfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", List.of(scc(impostor), scc(a)));
        ManagerRuntime sm = joined(cfg, a);
        sm.close();
        closeables.remove(sm);

        ManagerRuntime again = Runtimes.manager(cfg, transport);
        again.start(); // the impostor first: refused at the handshake, then the real one
        closeables.add(again);
        await("the manager reaches the real SS", 10, () -> connectedTo(again, a));
        stop(a);
        Thread.sleep(3_000); // several rounds over the list: only the impostor listens
        assertNotEquals("CONNECTED", again.status().connection(), again.status().toString());
        assertEquals(List.of(), impostor.runtime().nodes(), "the impostor never heard a hello");
        assertEquals(List.of(), impostor.runtime().channels());
    }

    // ----------------------------------------------------------------

    /** A manager started and joined through {@code ss}, connected to it with the policy it has (if any). */
    private ManagerRuntime joined(NodeConfig cfg, Runtimes.Server ss) throws Exception {
        ManagerRuntime sm = Runtimes.manager(cfg, transport);
        Runtimes.startAndJoin(sm, cfg, ss, closeables);
        await("the manager is on the SS it joined", 10, () -> connectedTo(sm, ss));
        long v = ss.runtime().currentEnvelope().map(e -> e.version()).orElse(0L);
        await("the manager applies v" + v, 10, () -> sm.status().signedVersion() == v);
        return sm;
    }

    private static boolean connectedTo(ManagerRuntime sm, Runtimes.Server ss) {
        return "CONNECTED".equals(sm.status().connection()) && sm.status().ssAddress().startsWith(scc(ss) + " ")
                && ss.runtime().nodes().stream().anyMatch(r -> r.snid() == 2 && r.state() == NodeState.CONNECTED);
    }

    private void stop(Runtimes.Server ss) {
        ss.runtime().close();
        closeables.remove(ss.runtime());
    }

    private static String scc(Runtimes.Server ss) {
        return "127.0.0.1:" + ss.runtime().sccSocketAddress().getPort();
    }

    private static NodeRecord node(ServerRuntime ss, int snid) {
        return ss.nodes().stream().filter(r -> r.snid() == snid).findFirst()
                .orElse(new NodeRecord(snid, "?", "", NodeState.JOINED, 0, null, null, null, null));
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long publish(Runtimes.Server ss, String name) throws Exception {
        byte[] xml = ("<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"" + name + "\">\n"
                + "  <default decision=\"deny\" external=\"deny\"/>\n</dsp>\n").getBytes(StandardCharsets.UTF_8);
        long v = ss.policy().updateSource(name, xml).version();
        await("the SS signed v" + v, 5, () -> ss.runtime().currentEnvelope().map(e -> e.version() == v).orElse(false));
        return v;
    }
}
