package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.ss.internal.LabelKeyAuthorityTest.await;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKey;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.CaStateStore;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;

/**
 * Two Security Servers on one store: the active one's label key authority with its real {@link LabelKeyNodes},
 * and a standby's {@link StandbyLabelKeys}, each node with a DSM that records what it was given. The standby's
 * node is no manager of the active server, yet every pair with it must verify on both ends, and a rotation must
 * not switch labels to an epoch the standby's node does not hold yet.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StandbyLabelKeysTest {

    static final int ACTIVE = 1;
    static final int MANAGER = 2;
    static final int STANDBY = 9;

    @TempDir
    Path tmp;

    /** A DSM that keeps the last label keys it was given, as peer -> epoch -> key. */
    static final class RecordingDsm {
        volatile int sendEpoch;
        volatile Map<Integer, Map<Integer, byte[]>> keys = Map.of();

        Dsm dsm() {
            return (Dsm) Proxy.newProxyInstance(Dsm.class.getClassLoader(), new Class<?>[] {Dsm.class}, (p, m, args) -> {
                switch (m.getName()) {
                    case "isAvailable":
                        return true;
                    case "installLabelKeys":
                        Map<Integer, Map<Integer, byte[]>> k = new TreeMap<>();
                        for (Object o : (List<?>) args[1]) {
                            Dsm.LabelKey l = (Dsm.LabelKey) o;
                            k.computeIfAbsent(l.peerSnid(), x -> new TreeMap<>()).put(l.epoch(), l.key());
                        }
                        keys = k;
                        sendEpoch = (Integer) args[0];
                        return null;
                    case "hashCode":
                        return System.identityHashCode(p);
                    case "equals":
                        return p == args[0];
                    default:
                        throw new UnsupportedOperationException(m.getName());
                }
            });
        }

        byte[] key(int peer, int epoch) {
            Map<Integer, byte[]> e = keys.get(peer);
            return e == null ? null : e.get(epoch);
        }
    }

    private FileServerStore store;
    private SharedStoreStandIn shared;
    private final RecordingDsm activeDsm = new RecordingDsm();
    private final RecordingDsm standbyDsm = new RecordingDsm();
    private LabelKeyNodes active;
    private StandbyLabelKeys standby;

    private static NodeConfig node(int snid, String name, Path dir) {
        return new NodeConfig(NodeRole.SERVER, "dsi", snid, name, "127.0.0.1", "127.0.0.1", 0, "127.0.0.1", 0, 0, dir,
                1000, 5);
    }

    @BeforeEach
    void twoServers() throws Exception {
        store = new FileServerStore(tmp.resolve("store"));
        store.putNode(new NodeRecord(MANAGER, "sm2", "10.0.0.2", NodeState.CONNECTED, 0, null, null, null, Instant.now()));
        shared = new SharedStoreStandIn(store);
        Dsm a = activeDsm.dsm();
        active = LabelKeyNodes.create(node(ACTIVE, "ss1", tmp.resolve("a")), store, () -> null, new LocalLabelKeys(() -> a),
                new LabelKeySettings(Duration.ZERO, Duration.ofSeconds(20), Duration.ofSeconds(1)));
        active.authority().start();
        active.follow(shared);
        await("the active server reported itself", () -> shared.reports.containsKey(ACTIVE));
        Dsm b = standbyDsm.dsm();
        standby = new StandbyLabelKeys(node(STANDBY, "ss2", tmp.resolve("b")), shared, new LocalLabelKeys(() -> b));
    }

    @AfterEach
    void close() {
        active.close();
        active.authority().close();
    }

    @Test
    void theStandbysNodeHoldsItsPairWithEveryMemberAndEveryMemberTheOneWithIt() throws Exception {
        standby.follow();
        assertEquals(Set.of(ACTIVE, MANAGER, STANDBY), standbyDsm.keys.keySet(),
                "the standby's node: its pairs with the active server's node, the manager and itself");
        await("the active server's node holds its pair with the standby's node",
                () -> activeDsm.key(STANDBY, 1) != null);
        assertArrayEquals(standbyDsm.key(ACTIVE, 1), activeDsm.key(STANDBY, 1), "one key for the pair, on both ends");
        byte[] managerHolds = active.authority().setFor(MANAGER, active.members()).keys().stream()
                .filter(k -> k.peer() == STANDBY).map(LabelKey::key).findFirst().orElse(null);
        assertNotNull(managerHolds, "the manager is handed its pair with the standby's node");
        assertArrayEquals(standbyDsm.key(MANAGER, 1), managerHolds);

        // a compromised standby host: its pairs are withdrawn like any node's
        store.addCompromised(STANDBY);
        assertFalse(active.members().contains(STANDBY));
        assertTrue(active.authority().setFor(MANAGER, active.members()).keys().stream().noneMatch(k -> k.peer() == STANDBY));
    }

    @Test
    void aRotationSwitchesLabelsOnlyOnceTheStandbysNodeHoldsTheNewEpoch() throws Exception {
        standby.follow();
        await("the active server counts the standby's node as connected",
                () -> active.connected().containsKey(STANDBY));
        int next = active.authority().rotate().get(5, TimeUnit.SECONDS);
        assertEquals(2, next);
        // the active server's own node holds epoch 2 at once; the standby's has not read the store yet
        await("the active server's node holds epoch 2", () -> activeDsm.key(MANAGER, 2) != null);
        Thread.sleep(4 * LabelKeyNodes.FOLLOW_PERIOD.toMillis());
        assertEquals(1, active.authority().status().sendEpoch(), "labels wait for the standby's node");
        assertEquals(1, activeDsm.sendEpoch);

        standby.follow(); // reads epoch 2 from the store, installs it, reports it
        assertEquals(1, standbyDsm.sendEpoch);
        assertNotNull(standbyDsm.key(ACTIVE, 2));
        await("labels switch to epoch 2", () -> active.authority().status().sendEpoch() == 2);
        standby.follow();
        assertEquals(2, standbyDsm.sendEpoch, "the standby's node labels with the new epoch as well");
    }

    @Test
    void aStandbyThatStoppedReportingIsNotWaitedFor() throws Exception {
        standby.follow();
        await("the active server counts the standby's node as connected",
                () -> active.connected().containsKey(STANDBY));
        shared.silent.add(STANDBY);
        await("the silent standby is no longer counted", () -> !active.connected().containsKey(STANDBY));
        assertTrue(active.members().contains(STANDBY), "its node keeps its pairs");
        active.authority().rotate().get(5, TimeUnit.SECONDS);
        await("labels switch to epoch 2 without it", () -> active.authority().status().sendEpoch() == 2);
    }
}
