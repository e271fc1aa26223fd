package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKey;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.StoredLabelKeys;

/** The label key authority against a stand-in for the nodes and the real file store. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LabelKeyAuthorityTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** The nodes as the authority sees them; the ones in autoAck acknowledge every set at once. */
    static final class FakeNodes implements LabelKeyAuthority.Nodes {
        record Sent(int snid, LabelKeySet set) {
        }

        final Set<Integer> members = ConcurrentHashMap.newKeySet();
        final Map<Integer, String> connected = new ConcurrentHashMap<>();
        final Set<Integer> autoAck = ConcurrentHashMap.newKeySet();
        final List<Sent> sent = new CopyOnWriteArrayList<>();
        volatile LabelKeyAuthority authority;

        @Override
        public Set<Integer> members() {
            return Set.copyOf(members);
        }

        @Override
        public Map<Integer, String> connected() {
            return Map.copyOf(connected);
        }

        @Override
        public void send(int snid, String route, LabelKeySet set) {
            sent.add(new Sent(snid, set));
            if (autoAck.contains(snid)) {
                authority.onAck(snid, new LabelKeysAck(set.sendEpoch(), set.epochs(), null));
            }
        }

        List<LabelKeySet> to(int snid) {
            return sent.stream().filter(s -> s.snid() == snid).map(Sent::set).toList();
        }

        LabelKeySet last(int snid) {
            List<LabelKeySet> l = to(snid);
            return l.isEmpty() ? null : l.get(l.size() - 1);
        }

        /** "send:[epochs]" of each set node snid got, repeats collapsed. */
        List<String> phases(int snid) {
            List<String> out = new ArrayList<>();
            for (LabelKeySet s : to(snid)) {
                String p = s.sendEpoch() + ":" + s.epochs();
                if (out.isEmpty() || !out.get(out.size() - 1).equals(p)) {
                    out.add(p);
                }
            }
            return out;
        }

        void nodes(int... snids) {
            for (int n : snids) {
                members.add(n);
                connected.put(n, "peer-" + n);
                autoAck.add(n);
            }
        }
    }

    private FileServerStore store;

    private LabelKeyAuthority authority(FakeNodes nodes, Duration every, Duration ackTimeout, Duration grace) {
        store = store == null ? new FileServerStore(tmp.resolve("ss")) : store;
        LabelKeyAuthority a = new LabelKeyAuthority(store, nodes, new LabelKeySettings(every, ackTimeout, grace),
                Clock.systemUTC());
        nodes.authority = a;
        closeables.add(a);
        a.start();
        return a;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private static byte[] keyFor(LabelKeySet set, int epoch, int peer) {
        return set.keys().stream().filter(k -> k.epoch() == epoch && k.peer() == peer).findFirst()
                .map(LabelKey::key).orElse(null);
    }

    private static List<Integer> peers(LabelKeySet set, int epoch) {
        return set.keys().stream().filter(k -> k.epoch() == epoch).map(LabelKey::peer).sorted().toList();
    }

    private byte[] master(int epoch) {
        return store.labelKeys().orElseThrow().epochs().stream().filter(e -> e.epoch() == epoch).findFirst()
                .orElseThrow().master();
    }

    @Test
    void aNodeGetsItsPairsOnlyAndLosesACompromisedNodesPairs() throws Exception {
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1, 2, 3, 4);
        LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofSeconds(10), Duration.ofMillis(50));
        a.nodeConnected(2);
        a.nodeConnected(3);
        await("nodes 2 and 3 have their sets", () -> nodes.last(2) != null && nodes.last(3) != null);
        LabelKeySet two = nodes.last(2);
        LabelKeySet three = nodes.last(3);
        assertEquals(1, two.sendEpoch());
        assertEquals(List.of(1, 2, 3, 4), peers(two, 1), "one key per member, its own pair (2,2) included");
        assertArrayEquals(keyFor(two, 1, 3), keyFor(three, 1, 2), "both ends of the pair hold the same key");
        assertFalse(java.util.Arrays.equals(keyFor(two, 1, 3), keyFor(two, 1, 4)));
        // node 2 holds none of another pair's keys
        byte[] m = master(1);
        Set<String> held = new java.util.HashSet<>();
        two.keys().forEach(k -> held.add(HexFormat.of().formatHex(k.key())));
        for (int[] pair : new int[][] {{1, 3}, {1, 4}, {3, 4}, {1, 1}, {3, 3}, {4, 4}}) {
            assertFalse(held.contains(HexFormat.of().formatHex(LabelKeyDerivation.pairKey(m, 1, pair[0], pair[1]))),
                    "node 2 holds the key of pair " + pair[0] + "," + pair[1]);
        }
        assertArrayEquals(LabelKeyDerivation.pairKey(m, 1, 2, 3), keyFor(two, 1, 3));

        // node 4 is declared compromised (the Security Server takes it out of the members first)
        nodes.members.remove(4);
        a.status(); // every push started before is done
        int mark = nodes.sent.size();
        a.nodeCompromised(4);
        await("the sets without node 4", () -> nodes.sent.size() > mark);
        LabelKeySet after = nodes.sent.get(mark).set();
        assertEquals(List.of(1, 2, 3), peers(after, 1), "withdrawn at once, before the rotation");
        // the compromise rotates the keys; node 4 gets nothing more
        await("rotation to epoch 2 done", () -> a.status().sendEpoch() == 2 && a.status().epochs().size() == 1);
        assertTrue(nodes.sent.subList(mark, nodes.sent.size()).stream().noneMatch(s -> s.snid() == 4),
                "the compromised node got a set after the compromise");
        for (int n : List.of(1, 2, 3)) {
            LabelKeySet s = nodes.last(n);
            assertEquals(List.of(1, 2, 3), peers(s, 2), "node " + n);
        }
        assertTrue(a.status().nodes().stream().noneMatch(n -> n.snid() == 4));
    }

    @Test
    void rotationGoesThroughItsThreePhasesInOrder() throws Exception {
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1, 2, 3);
        LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofSeconds(20), Duration.ofMillis(200));
        a.nodeConnected(2);
        long t0 = System.nanoTime();
        assertEquals(2, a.rotate().get(5, TimeUnit.SECONDS));
        await("rotation done", () -> a.status().epochs().size() == 1 && a.status().sendEpoch() == 2);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "switched when all acked, not at the timeout");
        assertEquals(List.of("1:[1]", "1:[1, 2]", "2:[1, 2]", "2:[2]"), nodes.phases(2));
        assertEquals(List.of("1:[1]", "1:[1, 2]", "2:[1, 2]", "2:[2]"), nodes.phases(3));
        LabelKeyStatus st = a.status();
        assertEquals(LabelKeyStatus.EpochState.SENDING, st.epochs().get(0).state());
        assertFalse(st.rotating());
        for (LabelKeyStatus.Node n : st.nodes()) {
            assertEquals(2, n.ackedSendEpoch(), "node " + n.snid());
            assertEquals(List.of(2), n.epochs());
        }
        assertEquals(2, store.labelKeys().orElseThrow().sendEpoch());
        assertEquals(List.of(2), store.labelKeys().orElseThrow().epochs().stream().map(StoredLabelKeys.Epoch::epoch).toList());
    }

    @Test
    void aSilentNodeHoldsTheSwitchBackUntilTheTimeoutAndIsNamed() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            FakeNodes nodes = new FakeNodes();
            nodes.nodes(1, 2);
            nodes.members.add(3);
            nodes.connected.put(3, "peer-3"); // connected, never acknowledges
            LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofMillis(600), Duration.ofMillis(100));
            long t0 = System.nanoTime();
            assertEquals(2, a.rotate().get(5, TimeUnit.SECONDS));
            LabelKeyStatus during = a.status();
            assertTrue(during.rotating());
            assertEquals(1, during.sendEpoch());
            assertEquals(List.of(LabelKeyStatus.EpochState.SENDING, LabelKeyStatus.EpochState.DISTRIBUTING),
                    during.epochs().stream().map(LabelKeyStatus.Epoch::state).toList());
            await("labels switch to epoch 2", () -> a.status().sendEpoch() == 2);
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(550), "switched before the timeout");
            await("epoch 1 dropped", () -> a.status().epochs().size() == 1);
            assertEquals(List.of("1:[1]", "1:[1, 2]", "2:[1, 2]", "2:[2]"), nodes.phases(3), "the laggard still gets every set");
            String log = captured.toString(StandardCharsets.UTF_8);
            assertTrue(log.contains("node(s) [3] did not acknowledge holding epoch 2"), log);

            // no master secret and no pair key in the log, the status or the stored record's toString
            List<String> secrets = new ArrayList<>();
            for (StoredLabelKeys.Epoch e : store.labelKeys().orElseThrow().epochs()) {
                secrets.add(Base64.getEncoder().encodeToString(e.master()));
                secrets.add(HexFormat.of().formatHex(e.master()));
            }
            for (FakeNodes.Sent s : nodes.sent) {
                for (LabelKey k : s.set().keys()) {
                    secrets.add(Base64.getEncoder().encodeToString(k.key()));
                    secrets.add(HexFormat.of().formatHex(k.key()));
                }
            }
            String shown = log + a.status() + store.labelKeys().orElseThrow() + nodes.sent;
            for (String secret : secrets) {
                assertFalse(shown.contains(secret), "key material shown");
            }
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void rotationsDoNotInterleave() throws Exception {
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1, 2);
        LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofSeconds(20), Duration.ofMillis(300));
        a.nodeConnected(2);
        CompletableFuture<Integer> first = a.rotate();
        CompletableFuture<Integer> second = a.rotate();
        CompletableFuture<Integer> third = a.rotate();
        assertEquals(2, first.get(5, TimeUnit.SECONDS));
        assertFalse(second.isDone(), "the second rotation started before the first was done");
        assertTrue(a.status().queued());
        assertEquals(3, second.get(5, TimeUnit.SECONDS));
        assertEquals(3, third.get(5, TimeUnit.SECONDS), "requests made during one rotation share the next");
        await("second rotation done", () -> a.status().epochs().size() == 1 && a.status().sendEpoch() == 3);
        assertEquals(List.of("1:[1]", "1:[1, 2]", "2:[1, 2]", "2:[2]", "2:[2, 3]", "3:[2, 3]", "3:[3]"), nodes.phases(2));
        assertFalse(a.status().queued());
    }

    @Test
    void aCompromiseDuringARotationWithdrawsAtOnceAndRotatesAgainAfter() throws Exception {
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1, 2);
        nodes.members.add(3);
        nodes.connected.put(3, "peer-3"); // will not acknowledge: the rotation waits for it
        LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofSeconds(8), Duration.ofMillis(100));
        assertEquals(2, a.rotate().get(5, TimeUnit.SECONDS));
        assertEquals(LabelKeyStatus.EpochState.DISTRIBUTING, a.status().epochs().get(1).state());
        long t0 = System.nanoTime();
        nodes.members.remove(3);
        a.status();
        int mark = nodes.sent.size();
        a.nodeCompromised(3);
        await("rotation to epoch 3 done", () -> a.status().sendEpoch() == 3 && a.status().epochs().size() == 1);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(6), "waited for the compromised node's ack");
        LabelKeySet withdrawn = nodes.sent.get(mark).set();
        assertTrue(Set.of(1, 2).contains(nodes.sent.get(mark).snid()));
        assertEquals(1, withdrawn.sendEpoch(), "withdrawn within the running phase");
        assertEquals(List.of(1, 2), peers(withdrawn, 1));
        assertEquals(List.of(1, 2), peers(withdrawn, 2));
        assertTrue(nodes.sent.subList(mark, nodes.sent.size()).stream().noneMatch(s -> s.snid() == 3));
        assertEquals(List.of("1:[1]", "1:[1, 2]", "2:[1, 2]", "2:[2]", "2:[2, 3]", "3:[2, 3]", "3:[3]"), nodes.phases(2));
    }

    @Test
    void aRestartResumesARotationAndEpochsSkipZeroOnTheWire() throws Exception {
        store = new FileServerStore(tmp.resolve("ss"));
        Instant now = Instant.now();
        store.putLabelKeys(new StoredLabelKeys(254, 255, List.of(
                new StoredLabelKeys.Epoch(254, now.minusSeconds(60), LabelKeyDerivation.newMaster(new java.security.SecureRandom())),
                new StoredLabelKeys.Epoch(255, now, LabelKeyDerivation.newMaster(new java.security.SecureRandom())))));
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1, 2);
        LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofSeconds(20), Duration.ofMillis(100));
        assertTrue(a.status().rotating(), "the stored rotation (send 254, 255 handed out) resumes");
        a.nodeConnected(2);
        await("rotation to 255 done", () -> a.status().sendEpoch() == 255 && a.status().epochs().size() == 1);
        assertEquals(257, a.rotate().get(5, TimeUnit.SECONDS), "256 would travel as 0");
        await("rotation to 257 done", () -> a.status().sendEpoch() == 257 && a.status().epochs().size() == 1);
        assertEquals(257, new FileServerStore(tmp.resolve("ss")).labelKeys().orElseThrow().sendEpoch());
    }

    @Test
    void keysRotateOnTheirSchedule() throws Exception {
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1);
        LabelKeyAuthority a = authority(nodes, Duration.ofMillis(300), Duration.ofSeconds(20), Duration.ofMillis(50));
        assertTrue(a.status().nextRotation() != null);
        await("a scheduled rotation", () -> a.status().sendEpoch() >= 2);
    }

    @Test
    void noScheduleWhenTheIntervalIsZero() {
        FakeNodes nodes = new FakeNodes();
        nodes.nodes(1);
        LabelKeyAuthority a = authority(nodes, Duration.ZERO, Duration.ofSeconds(20), Duration.ofMillis(50));
        assertEquals(null, a.status().nextRotation());
        assertEquals(1, a.status().sendEpoch());
    }

    @Test
    void settingsFromTheNodeConfiguration() {
        assertEquals(LabelKeySettings.DEFAULTS, LabelKeySettings.from(Map.of()));
        LabelKeySettings s = LabelKeySettings.from(Map.of("label.keys.rotate.hours", "0",
                "label.keys.ack.timeout.seconds", "3", "label.keys.grace.seconds", "1"));
        assertFalse(s.scheduled());
        assertEquals(Duration.ofSeconds(3), s.ackTimeout());
        assertEquals(Duration.ofSeconds(1), s.grace());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LabelKeySettings.from(Map.of("label.keys.rotate.hours", "-1")));
        assertTrue(e.getMessage().contains("label.keys.rotate.hours"), e.getMessage());
    }
}
