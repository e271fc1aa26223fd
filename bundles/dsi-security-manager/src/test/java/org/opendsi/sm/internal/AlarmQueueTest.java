package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;

class AlarmQueueTest {

    @TempDir
    Path tmp;

    private static Alarm alarm(String id, AlarmPriority p) {
        return new Alarm(id, p, 2, "munster", Instant.parse("2026-01-01T00:00:00Z"), "test", "text " + id);
    }

    @Test
    void boundedDropsOldestLowMediumFirstAndCounts() {
        try (AlarmQueue q = new AlarmQueue(tmp.resolve("q"), 3)) {
            q.add(alarm("c1", AlarmPriority.CRITICAL));
            q.add(alarm("m1", AlarmPriority.MEDIUM));
            q.add(alarm("l1", AlarmPriority.LOW));
            q.add(alarm("h1", AlarmPriority.HIGH)); // drops m1 (oldest of LOW/MEDIUM)
            assertEquals(List.of("c1", "l1", "h1"), q.list().stream().map(Alarm::id).toList());
            q.add(alarm("c2", AlarmPriority.CRITICAL)); // drops l1
            q.add(alarm("c3", AlarmPriority.CRITICAL)); // drops h1
            assertEquals(List.of("c1", "c2", "c3"), q.list().stream().map(Alarm::id).toList());
            q.add(alarm("c4", AlarmPriority.CRITICAL)); // only CRITICAL left: the oldest goes
            assertEquals(List.of("c2", "c3", "c4"), q.list().stream().map(Alarm::id).toList());
            assertEquals(4, q.dropped());
            assertFalse(q.add(alarm("c4", AlarmPriority.CRITICAL)), "same id queued once");
        }
    }

    @Test
    void survivesARestartIncludingDeliveriesAndTheDropCount() throws Exception {
        Path f = tmp.resolve("q");
        try (AlarmQueue q = new AlarmQueue(f, 2)) {
            q.add(alarm("a", AlarmPriority.LOW));
            q.add(alarm("b", AlarmPriority.HIGH));
            q.add(alarm("c", AlarmPriority.HIGH)); // drops a
            q.remove("b");
        }
        // a crash in the middle of an append leaves a torn last line
        Files.writeString(f, "A {\"id\":\"tor", StandardOpenOption.APPEND);
        try (AlarmQueue q = new AlarmQueue(f, 2)) {
            assertEquals(List.of("c"), q.list().stream().map(Alarm::id).toList());
            assertEquals(1, q.dropped());
            assertEquals(alarm("c", AlarmPriority.HIGH), q.peek().orElseThrow());
            q.reportedDropped(1);
            q.remove("c");
        }
        try (AlarmQueue q = new AlarmQueue(f, 2)) {
            assertEquals(0, q.size());
            assertEquals(0, q.dropped());
        }
    }

    @Test
    void compactsWhenMostlyDelivered() throws Exception {
        Path f = tmp.resolve("q");
        try (AlarmQueue q = new AlarmQueue(f, 10_000)) {
            for (int i = 0; i < 3000; i++) {
                q.add(alarm("x" + i, AlarmPriority.LOW));
                q.remove("x" + i);
            }
            q.add(alarm("last", AlarmPriority.LOW));
            assertTrue(Files.size(f) < 300_000, "journal compacted: " + Files.size(f));
        }
        try (AlarmQueue q = new AlarmQueue(f, 10_000)) {
            assertEquals(List.of("last"), q.list().stream().map(Alarm::id).toList());
        }
    }
}
