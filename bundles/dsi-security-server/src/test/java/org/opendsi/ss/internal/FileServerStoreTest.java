package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.StoredAlarm;

class FileServerStoreTest {

    @TempDir
    Path tmp;

    @Test
    void everythingSurvivesAReopen() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        FileServerStore s = new FileServerStore(tmp);
        NodeRecord n = new NodeRecord(2, "munster", "10.77.0.2", NodeState.CONNECTED, 5, null, now, now.plusSeconds(60), now);
        s.putNode(n);
        s.putNode(n.withAck(6, null));
        Alarm a = new Alarm("a1", AlarmPriority.HIGH, 2, "munster", now, "dsm", "denied");
        assertTrue(s.addAlarm(new StoredAlarm(a, now, null)));
        assertFalse(s.addAlarm(new StoredAlarm(a, now, null)), "de-duplicated by id");
        assertTrue(s.updateAlarm(new StoredAlarm(a, now, now)));
        s.addCompromised(3);
        s.putPolicy(6, "<dsp/>".getBytes());

        FileServerStore r = new FileServerStore(tmp);
        assertEquals(List.of(n.withAck(6, null)), r.nodes());
        assertEquals(1, r.alarms().size());
        assertEquals(a, r.alarms().get(0).alarm());
        assertTrue(r.alarms().get(0).acked());
        assertEquals(Set.of(3), r.compromised());
        assertArrayEquals("<dsp/>".getBytes(), r.policy(6).orElseThrow());
        assertEquals(List.of(6L), r.policyVersions());
    }

    @Test
    void writesAreAtomicNoTemporaryFilesLeftAndATornTempIsIgnored() throws Exception {
        FileServerStore s = new FileServerStore(tmp);
        s.putNode(new NodeRecord(2, "a", "", NodeState.JOINED, 0, null, null, null, null));
        // a crash in the middle of a write leaves only the temporary file: the store reads the last complete one
        Files.writeString(tmp.resolve(".nodes.json.tmp"), "[{\"snid\": 2, \"na");
        try (var files = Files.list(tmp)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().equals("nodes.json")));
        }
        FileServerStore r = new FileServerStore(tmp);
        assertEquals("a", r.nodes().get(0).name());
        r.putNode(new NodeRecord(3, "b", "", NodeState.JOINED, 0, null, null, null, null));
        try (var files = Files.list(tmp)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")
                    && !p.getFileName().toString().equals(".nodes.json.tmp")), "a write left its temporary file");
        }
        assertEquals(2, new FileServerStore(tmp).nodes().size());
    }

    @Test
    void labelKeyMastersAreOwnerOnlyAndSurviveAReopen() throws Exception {
        FileServerStore s = new FileServerStore(tmp);
        assertTrue(s.labelKeys().isEmpty());
        byte[] master = new byte[32];
        master[0] = 42;
        org.opendsi.ss.StoredLabelKeys k = new org.opendsi.ss.StoredLabelKeys(3, 4, List.of(
                new org.opendsi.ss.StoredLabelKeys.Epoch(3, Instant.parse("2027-01-01T00:00:00Z"), master),
                new org.opendsi.ss.StoredLabelKeys.Epoch(4, Instant.parse("2027-01-02T00:00:00Z"), new byte[32])));
        s.putLabelKeys(k);
        Path f = tmp.resolve("label-keys.json");
        assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(f));
        assertEquals(k, new FileServerStore(tmp).labelKeys().orElseThrow());
        assertArrayEquals(master, new FileServerStore(tmp).labelKeys().orElseThrow().epochs().get(0).master());
        assertFalse(k.toString().contains(java.util.Base64.getEncoder().encodeToString(master)), k.toString());
        assertEquals("StoredLabelKeys[sendEpoch=3, lastEpoch=4, epochs=[Epoch[epoch=3, created=2027-01-01T00:00:00Z], "
                + "Epoch[epoch=4, created=2027-01-02T00:00:00Z]]]", k.toString());
    }

    @Test
    void keepsTheNewestPolicySources() {
        FileServerStore s = new FileServerStore(tmp, 10, 3);
        for (long v = 1; v <= 5; v++) {
            s.putPolicy(v, ("v" + v).getBytes());
        }
        assertEquals(List.of(3L, 4L, 5L), s.policyVersions());
        assertTrue(s.policy(1).isEmpty());
    }
}
