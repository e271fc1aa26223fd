package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.PkiSettings;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccTransport;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;

/** A Security Server whose SCC port is taken keeps trying and listens once the port is free. */
class ListenerRetryTest {

    @Test
    void aListenerThatCouldNotStartIsRetriedUntilThePortIsFree(@TempDir Path dir) throws Exception {
        takenThenFree(dir, true);
    }

    /** Same for the join endpoint (its port was once taken by a client connection's ephemeral port in a test). */
    @Test
    void aJoinEndpointThatCouldNotStartIsRetriedToo(@TempDir Path dir) throws Exception {
        takenThenFree(dir, false);
    }

    /** Starts a server whose SCC (or join) port is taken, frees the port, and waits for it to listen there. */
    private static void takenThenFree(Path dir, boolean scc) throws Exception {
        ServerSocket blocker = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        int port = blocker.getLocalPort();
        NodeConfig cfg = new NodeConfig(NodeRole.SERVER, "dsi", 1, "ss", "127.0.0.1", "127.0.0.1", scc ? port : 0,
                "127.0.0.1", scc ? port : 0, scc ? 0 : port, dir, 1000, 5);
        PolicyServiceImpl policy = new PolicyServiceImpl();
        policy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, dir.resolve("policy").toString()));
        try (SccTransport transport = SccTransport.newTransport(1, 1);
             ServerRuntime ss = new ServerRuntime(cfg, policy, transport, new FileServerStore(dir.resolve("store")),
                     new ClusterCa(PkiSettings.of(dir.resolve("keys"), "dsi")))) {
            Supplier<InetSocketAddress> bound = scc ? ss::sccSocketAddress : ss::joinSocketAddress;
            ss.start();
            assertNull(bound.get(), "the port is taken");
            assertTrue(ss.status().toString().contains("cannot listen"), ss.status().toString());
            blocker.close();
            long end = System.currentTimeMillis() + 15_000;
            while (bound.get() == null && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertEquals(port, bound.get() == null ? -1 : bound.get().getPort(), "listening on its port once it was free");
        } finally {
            blocker.close();
        }
    }
}
