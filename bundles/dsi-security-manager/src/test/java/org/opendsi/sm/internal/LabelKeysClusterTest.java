package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.LabelKeyStatus;

/**
 * Label keys end to end in one JVM: a real Security Server, two real Security Managers over the real
 * SCC, each with a recording stand-in for its kernel DSM.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LabelKeysClusterTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    private static boolean holds(FakeLabelDsm k, List<Integer> peers) {
        FakeLabelDsm.Installed i = k.last();
        return i != null && i.peers(i.sendEpoch()).equals(peers);
    }

    @Test
    void joinedNodesGetTheirPairsAndACompromisedNodeIsCutOff() throws Exception {
        SccTransport transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        Runtimes.Server server = Runtimes.startServer(tmp.resolve("ss"), transport, closeables, null);

        FakeLabelDsm k2 = new FakeLabelDsm();
        NodeConfig c2 = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", server);
        ManagerRuntime sm2 = Runtimes.manager(c2, transport, k2::dsm);
        Runtimes.startAndJoin(sm2, c2, server, closeables);
        // the Security Server's own node (1) is a member: node 2 shares a key with it and with itself
        await("node 2 holds its keys", 15, () -> holds(k2, List.of(1, 2)));

        FakeLabelDsm k3 = new FakeLabelDsm();
        NodeConfig c3 = Runtimes.managerConfig(tmp.resolve("sm3"), 3, "sm3", server);
        ManagerRuntime sm3 = Runtimes.manager(c3, transport, k3::dsm);
        Runtimes.startAndJoin(sm3, c3, server, closeables);
        await("node 3 holds its keys", 15, () -> holds(k3, List.of(1, 2, 3)));
        await("node 2 got its pair with the new node", 15, () -> holds(k2, List.of(1, 2, 3)));
        int epoch = k2.last().sendEpoch();
        assertArrayEquals(k2.last().key(epoch, 3), k3.last().key(epoch, 2), "both ends of (2,3) hold the same key");
        await("the SS records both acks", 15, () -> server.runtime().labelKeys().nodes().stream()
                .filter(n -> n.snid() == 2 || n.snid() == 3).allMatch(n -> n.ackedSendEpoch() == epoch && n.error() == null));
        assertEquals(List.of(epoch), sm2.labelKeys().epochs());
        assertTrue(sm2.labelKeys().installed());
        Path stored = tmp.resolve("sm2").resolve("sm").resolve("label-keys.json");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(stored));

        // node 3 is compromised: node 2 loses the pair (2,3) at once, then the keys rotate
        int installsBefore = k3.installs.size();
        server.runtime().compromised(3);
        await("node 2's set lacks node 3", 10, () -> holds(k2, List.of(1, 2)));
        await("the rotation after the compromise is done", 30, () -> {
            LabelKeyStatus s = server.runtime().labelKeys();
            return s.sendEpoch() > epoch && s.epochs().size() == 1 && !s.rotating();
        });
        int now = server.runtime().labelKeys().sendEpoch();
        await("node 2 holds the new epoch only", 10, () -> k2.last().sendEpoch() == now
                && k2.last().keys().stream().allMatch(k -> k.epoch() == now));
        assertTrue(k2.installs.stream().filter(i -> i.keys().stream().anyMatch(k -> k.epoch() == now))
                .allMatch(i -> !i.peers(now).contains(3)), "node 2 never got a key with node 3 for the new epoch");
        assertEquals(installsBefore, k3.installs.size(), "the compromised node got keys after the compromise");

        // node 2 restarts while the Security Server is away: it reinstalls its last set at start
        server.runtime().close();
        sm2.close();
        FakeLabelDsm k2b = new FakeLabelDsm();
        ManagerRuntime again = Runtimes.manager(c2, transport, k2b::dsm);
        again.start();
        closeables.add(again);
        assertNotNull(k2b.last(), "the stored set is installed at start");
        assertEquals(k2.last().keys(), k2b.last().keys());
        assertEquals(now, again.labelKeys().sendEpoch());
    }

    @Test
    void anOperatorRotationReachesEveryNode() throws Exception {
        SccTransport transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        Runtimes.Server server = Runtimes.startServer(tmp.resolve("ss"), transport, closeables, null);
        FakeLabelDsm k2 = new FakeLabelDsm();
        NodeConfig c2 = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", server);
        ManagerRuntime sm2 = Runtimes.manager(c2, transport, k2::dsm);
        Runtimes.startAndJoin(sm2, c2, server, closeables);
        await("node 2 holds its keys", 15, () -> holds(k2, List.of(1, 2)));
        int before = k2.last().sendEpoch();

        int next = server.runtime().rotateLabelKeys().get(10, TimeUnit.SECONDS);
        assertTrue(next > before);
        // all acked: the switch does not wait for the 10 s timeout
        long t0 = System.nanoTime();
        await("node 2 labels with the new epoch", 8, () -> k2.last().sendEpoch() == next);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8));
        assertTrue(k2.installs.stream().anyMatch(i -> i.sendEpoch() == before
                && i.keys().stream().anyMatch(k -> k.epoch() == next)), "the new epoch was held before labels used it");
        await("the old epoch is dropped", 15, () -> k2.last().keys().stream().allMatch(k -> k.epoch() == next));
    }
}
