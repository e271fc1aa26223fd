package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NotActiveException;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.ss.StoredLabelKeys;

/** A standby Security Server: refuses changes naming the active one; its own node's alarms reach the store. */
class StandbyServerTest {

    @TempDir
    Path tmp;

    private SharedStoreStandIn shared;
    private StandbyServer standby;

    @BeforeEach
    void standby() {
        shared = new SharedStoreStandIn(new FileServerStore(tmp.resolve("store")));
        LeaseStatus held = new LeaseStatus(false, "ss1#6a2dd9f6", "127.0.0.1:8843", 3, Instant.now().plusSeconds(1), null);
        SharedStore.Leadership elsewhere = new SharedStore.Leadership() {
            @Override
            public LeaseStatus status() {
                return held;
            }

            @Override
            public boolean holdsNow() {
                return false;
            }

            @Override
            public void close() {
            }
        };
        NodeConfig cfg = new NodeConfig(NodeRole.SERVER, "dsi", 9, "ss2", "127.0.0.1", "127.0.0.1", 0, "127.0.0.1", 0, 0,
                tmp, 1000, 5);
        standby = new StandbyServer(cfg, shared, elsewhere);
    }

    @Test
    void changesAreRefusedNamingTheActiveServer() {
        NotActiveException e = assertThrows(NotActiveException.class, () -> standby.compromised(3));
        assertTrue(e.getMessage().contains("ss1#6a2dd9f6"), e.getMessage());
        assertThrows(NotActiveException.class, () -> standby.createToken(4, "sm4", java.time.Duration.ofMinutes(5), false));
    }

    @Test
    void itsNodesAlarmsAreStoredAndWaitInOrderWhileTheStoreIsDown() {
        Alarm first = standby.raise(AlarmPriority.HIGH, "dsm", "first");
        assertEquals(List.of(first.id()), ids(shared.store.alarms()), "stored at once, the standby's node named");
        assertEquals(9, shared.store.alarms().get(0).alarm().snid());

        shared.down = true;
        Alarm second = standby.raise(AlarmPriority.CRITICAL, "dsm", "second");
        Alarm third = standby.raise(AlarmPriority.LOW, "audit", "third");
        standby.flushAlarms();
        assertEquals(List.of(first.id()), ids(shared.store.alarms()));
        assertEquals(List.of(second.id(), third.id()), ids(standby.unstoredAlarms()), "waiting, in order");

        shared.down = false;
        standby.flushAlarms();
        standby.flushAlarms();
        assertEquals(List.of(first.id(), second.id(), third.id()), ids(shared.store.alarms()), "each once, in order");
        assertEquals(List.of(), standby.unstoredAlarms());
    }

    @Test
    void itShowsTheStoredEpochsAndTheServersNodesAsReported() {
        assertEquals(0, standby.labelKeys().sendEpoch(), "no epochs stored yet");
        byte[] master = new byte[32];
        Instant t = Instant.parse("2026-12-05T10:00:00Z");
        shared.store.putLabelKeys(new StoredLabelKeys(3, 4, List.of(new StoredLabelKeys.Epoch(3, t, master),
                new StoredLabelKeys.Epoch(4, t.plusSeconds(60), master))));
        shared.report(ServerPeer.self(1, "ss1", 0, List.of(), null)); // the active one: its node's keys are its own to show
        shared.report(ServerPeer.self(9, "ss2", 3, List.of(3, 4), null));
        shared.silent.add(9);
        LabelKeyStatus s = standby.labelKeys();
        assertEquals(3, s.sendEpoch());
        assertTrue(s.rotating());
        assertEquals(List.of(LabelKeyStatus.EpochState.SENDING, LabelKeyStatus.EpochState.DISTRIBUTING),
                s.epochs().stream().map(LabelKeyStatus.Epoch::state).toList());
        assertEquals(List.of(new LabelKeyStatus.Node(9, false, 3, List.of(3, 4), s.nodes().get(0).ackedAt(), null)),
                s.nodes());
    }

    private static List<String> ids(List<StoredAlarm> alarms) {
        return alarms.stream().map(a -> a.alarm().id()).toList();
    }
}
