package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.ss.StoredAlarm;

/** The file store's alarms are appended, one line each, and survive a crash mid-append and old files. */
class AlarmLogTest {

    static StoredAlarm alarm(String id) {
        return new StoredAlarm(new Alarm(id, AlarmPriority.HIGH, 2, "sm2", Instant.parse("2026-12-05T10:00:00Z"), "test",
                "text of " + id), Instant.parse("2026-12-05T10:00:01Z"), null);
    }

    @Test
    void storingAnAlarmAppendsOneLineInsteadOfRewritingAll(@TempDir Path dir) throws Exception {
        FileServerStore store = new FileServerStore(dir, 1000, 10);
        for (int i = 0; i < 20; i++) {
            assertTrue(store.addAlarm(alarm("a" + i)));
        }
        Path log = dir.resolve("alarms.log");
        long before = Files.size(log);
        Object inode = Files.readAttributes(log, "unix:ino").get("ino");
        store.addAlarm(alarm("a20"));
        assertEquals(inode, Files.readAttributes(log, "unix:ino").get("ino"), "appended, not replaced");
        assertTrue(Files.size(log) > before);
        assertEquals(21, Files.readAllLines(log).size());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
        assertFalse(store.addAlarm(alarm("a3")), "an alarm id is stored once");
        assertTrue(store.updateAlarm(alarm("a3").ack(Instant.parse("2026-12-05T11:00:00Z"))));
        FileServerStore reopened = new FileServerStore(dir, 1000, 10);
        assertEquals(21, reopened.alarms().size());
        assertEquals("a3", reopened.alarms().get(3).alarm().id(), "an update keeps the alarm's place");
        assertTrue(reopened.alarms().get(3).acked());
    }

    @Test
    void theLogIsCompactedAndKeepsTheNewest(@TempDir Path dir) throws Exception {
        FileServerStore store = new FileServerStore(dir, 5, 10);
        for (int i = 0; i < 100; i++) {
            store.addAlarm(alarm("a" + i));
        }
        assertEquals(List.of("a95", "a96", "a97", "a98", "a99"), store.alarms().stream().map(a -> a.alarm().id()).toList());
        assertTrue(Files.readAllLines(dir.resolve("alarms.log")).size() <= 2 * 16, "compacted as it grows");
        assertEquals(5, new FileServerStore(dir, 5, 10).alarms().size());
    }

    @Test
    void aLineCutByACrashIsDroppedTheRestKept(@TempDir Path dir) throws Exception {
        FileServerStore store = new FileServerStore(dir, 1000, 10);
        store.addAlarm(alarm("kept"));
        Files.writeString(dir.resolve("alarms.log"), "{\"alarm\":{\"id\":\"cut", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        FileServerStore reopened = new FileServerStore(dir, 1000, 10);
        assertEquals(List.of("kept"), reopened.alarms().stream().map(a -> a.alarm().id()).toList());
        assertTrue(reopened.addAlarm(alarm("next")));
        assertEquals(2, new FileServerStore(dir, 1000, 10).alarms().size());
    }

    @Test
    void alarmsOfAnEarlierVersionAreTakenOver(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("alarms.json"), "[{\"alarm\":" + org.opendsi.cluster.protocol.Json.alarm(
                alarm("old").alarm()) + ",\"receivedAt\":\"2026-12-05T10:00:01Z\"}]");
        FileServerStore store = new FileServerStore(dir, 1000, 10);
        assertEquals(List.of("old"), store.alarms().stream().map(a -> a.alarm().id()).toList());
        assertFalse(Files.exists(dir.resolve("alarms.json")));
        assertEquals(1, new FileServerStore(dir, 1000, 10).alarms().size());
    }
}
