package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.internal.FileServerStore;
import org.opendsi.ss.internal.ServerRuntime;

/** What the tests that run a real Security Server and Managers on loopback share. */
final class Runtimes {

    private Runtimes() {
    }

    /** Closes in reverse order of creation, best effort. */
    static void closeAll(List<AutoCloseable> closeables) {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // best effort
            }
        }
    }

    /** Reads a private field of the production object (the runtimes expose no accessor for these). */
    static <T> T field(Object o, String name, Class<T> type) {
        try {
            Field fl = o.getClass().getDeclaredField(name);
            fl.setAccessible(true);
            return type.cast(fl.get(o));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, int seconds, BooleanSupplier cond) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + seconds + " s waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    /** A Security Server on loopback (free ports), its policy service and store. */
    record Server(ServerRuntime runtime, PolicyServiceImpl policy, FileServerStore store) {
    }

    /** Starts an SS of cluster "dsi" in {@code dir}; its root CRLs live {@code crlValidity} (null: the default). */
    static Server startServer(Path dir, SccTransport transport, List<AutoCloseable> closeables, Duration crlValidity)
            throws Exception {
        return startServer(dir, dir.resolve("keys"), 0, transport, closeables, crlValidity);
    }

    /**
     * Starts an SS of cluster "dsi" in {@code dir} with the cluster CA in {@code keysDir} (another SS's
     * for a second Security Server of the same cluster), its SCC on {@code sccPort} (0: a free port).
     */
    static Server startServer(Path dir, Path keysDir, int sccPort, SccTransport transport, List<AutoCloseable> closeables,
            Duration crlValidity) throws Exception {
        NodeConfig cfg = new NodeConfig(NodeRole.SERVER, "dsi", 1, "ss", "127.0.0.1", "127.0.0.1", 0, "127.0.0.1",
                sccPort, 0, dir, 1000, 2);
        PolicyServiceImpl policy = new PolicyServiceImpl();
        policy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, dir.resolve("policy").toString()));
        PkiSettings pki = PkiSettings.of(keysDir, "dsi");
        FileServerStore store = new FileServerStore(dir.resolve("store"));
        ServerRuntime ss = new ServerRuntime(cfg, policy, transport, store,
                new ClusterCa(crlValidity == null ? pki : pki.withCrlValidity(crlValidity)));
        ss.start();
        closeables.add(ss);
        policy.addListener(ss);
        return new Server(ss, policy, store);
    }

    /** The configuration of manager {@code snid} of the SS, data in {@code dir}. */
    static NodeConfig managerConfig(Path dir, int snid, String name, Server ss) {
        return new NodeConfig(NodeRole.MANAGER, "dsi", snid, name, "127.0.0.1", "127.0.0.1",
                ss.runtime().sccSocketAddress().getPort(), "127.0.0.1", 0, 0, dir, 1000, 2);
    }

    /** The configuration of manager {@code snid} following the Security Servers {@code ssHosts} (ss.hosts), as read from its cfg. */
    static NodeConfig managerConfig(Path dir, int snid, String name, List<String> ssHosts) {
        return NodeConfig.from(Map.ofEntries(Map.entry("role", "manager"), Map.entry("cluster", "dsi"),
                Map.entry("snid", Integer.toString(snid)), Map.entry("name", name), Map.entry("address", "127.0.0.1"),
                Map.entry("ss.hosts", String.join(",", ssHosts)), Map.entry("listen.host", "127.0.0.1"),
                Map.entry("listen.port", "0"), Map.entry("join.port", "0"), Map.entry("data.dir", dir.toString()),
                Map.entry("alarm.queue.max", "1000"), Map.entry("heartbeat.seconds", "2")));
    }

    /** A new (unstarted) manager runtime for {@code cfg}: its own policy service and node keys in its data dir. */
    static ManagerRuntime manager(NodeConfig cfg, SccTransport transport) throws Exception {
        return manager(cfg, transport, () -> null);
    }

    /** The same with this node's DSM (label keys go into it). */
    static ManagerRuntime manager(NodeConfig cfg, SccTransport transport,
            java.util.function.Supplier<org.opendsi.dsm.Dsm> dsm) throws Exception {
        PolicyServiceImpl policy = new PolicyServiceImpl();
        policy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, cfg.dataDir().resolve("policy").toString()));
        return new ManagerRuntime(cfg, policy, transport, new NodeKeys(PkiSettings.of(cfg.dataDir().resolve("keys"), "dsi")),
                dsm);
    }

    /** Starts {@code sm} and joins it to the SS with a token bound to its SnID. */
    static void startAndJoin(ManagerRuntime sm, NodeConfig cfg, Server ss, List<AutoCloseable> closeables) throws Exception {
        sm.start();
        closeables.add(sm);
        sm.join("127.0.0.1", ss.runtime().joinSocketAddress().getPort(),
                ss.runtime().createToken(cfg.snid(), cfg.name(), Duration.ofMinutes(5), false));
    }
}
