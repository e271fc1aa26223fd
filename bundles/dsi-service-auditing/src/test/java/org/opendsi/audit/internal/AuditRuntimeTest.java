package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

class AuditRuntimeTest {

    @TempDir
    Path dir;

    private AuditSettings settings(int buffer, int count) {
        return AuditSettings.from(Map.of("dir", dir.toString(), "buffer.size", buffer, "detector.denials.count", count,
                "node.name", "colby"));
    }

    @Test
    void overflowIsCountedAndJournaled() throws Exception {
        CountDownLatch block = new CountDownLatch(1);
        // a rule lookup that blocks the writer thread until the buffer has overflowed
        EventMapper.RuleLookup slow = (id, v) -> {
            try {
                block.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return EventMapper.RuleRef.UNKNOWN;
        };
        AuditRuntime rt = new AuditRuntime(settings(10, 1000), "colby", slow, new AlarmOutbox(10), Clock.systemUTC());
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                rt.dsmEvent(Fixtures.deny(8080)); // must never block
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "dsmEvent blocked");
            block.countDown();
            assertTrue(rt.drain(10_000));
            List<AuditRecord> all = rt.query(AuditQuery.all());
            long denies = all.stream().filter(r -> r.type().equals("DENY")).count();
            List<AuditRecord> lost = all.stream().filter(r -> r.type().equals(AuditRecord.TYPE_LOST)).toList();
            // one LOST record per stretch of losses (one or two here, depending on when the writer
            // thread first ran), each counting what it stands for
            assertTrue(!lost.isEmpty(), all.toString());
            long lostCount = lost.stream().mapToLong(AuditRecord::suppressed).sum();
            assertEquals(100, denies + lostCount, "every event is either journaled or counted as lost");
            assertEquals(lostCount, rt.dropped());
            assertTrue(lost.get(0).text().contains("lost"), lost.get(0).text());
            assertTrue(rt.verify().intact());
        } finally {
            rt.close();
        }
    }

    @Test
    void eventsBecomeRecordsFollowersSeeThemAndDetectorsReachTheAlarmServiceWhenItAppears() throws Exception {
        AlarmOutbox outbox = new AlarmOutbox(10);
        AuditRuntime rt = new AuditRuntime(settings(1000, 3), "colby",
                (id, v) -> new EventMapper.RuleRef(12, "deny 10 -> 20 receive"), outbox, Clock.systemUTC());
        try {
            List<AuditRecord> followed = new ArrayList<>();
            AutoCloseable h = rt.follow(new AuditQuery(true, null, null, null, 0), followed::add);
            for (int i = 0; i < 3; i++) {
                rt.dsmEvent(Fixtures.deny(8080));
            }
            assertTrue(rt.drain(5000));
            h.close();
            assertEquals(3, followed.size());
            AuditRecord r = rt.query(new AuditQuery(true, null, 10, 2, 1)).get(0);
            assertTrue(r.text().contains("Denied 'receive' from context 10 on node 1 to context 20 on node 2"), r.text());
            assertTrue(r.text().contains("rule 3 (line 12: deny 10 -> 20 receive)"), r.text());
            assertEquals(1, outbox.backlog(), "no AlarmService yet: the alarm waits");
            List<String> raised = new ArrayList<>();
            outbox.setService(new AlarmService() {
                @Override
                public Alarm raise(org.opendsi.api.alarm.AlarmPriority priority, String source, String text) {
                    raised.add(source + ": " + text);
                    return null;
                }
            });
            assertEquals(0, outbox.backlog());
            assertEquals(1, raised.size());
            assertTrue(raised.get(0).startsWith("auditing: Repeated denials"), raised.get(0));
        } finally {
            rt.close();
        }
    }

    @Test
    void aSummaryOfEachIntervalGoesToTheSecurityServerAsALowAlarm() throws Exception {
        AlarmOutbox outbox = new AlarmOutbox(10);
        List<String> raised = new java.util.concurrent.CopyOnWriteArrayList<>();
        outbox.setService(new AlarmService() {
            @Override
            public Alarm raise(org.opendsi.api.alarm.AlarmPriority priority, String source, String text) {
                raised.add(priority + " " + source + ": " + text);
                return null;
            }
        });
        AuditSettings s = AuditSettings.from(Map.of("dir", dir.toString(), "detector.denials.count", 1000,
                "summary.interval.seconds", 1));
        AuditRuntime rt = new AuditRuntime(s, "colby", (id, v) -> EventMapper.RuleRef.UNKNOWN, outbox, Clock.systemUTC());
        try {
            rt.dsmEvent(Fixtures.event(DsmEvent.Type.DENY, 10, 20, 0));
            rt.dsmEvent(Fixtures.event(DsmEvent.Type.DENY, 10, 20, 40));   // stands for 40 rate-limited ones too
            rt.dsmEvent(Fixtures.event(DsmEvent.Type.FORGED_LABEL, 11, 20, 0));
            assertTrue(rt.drain(5000));
            long end = System.currentTimeMillis() + 5000;
            while (raised.stream().noneMatch(a -> a.contains("auditing-summary")) && System.currentTimeMillis() < end) {
                Thread.sleep(50);
            }
            String summary = raised.stream().filter(a -> a.contains("auditing-summary")).findFirst().orElseThrow(
                    () -> new AssertionError("no summary in " + raised));
            assertTrue(summary.startsWith("LOW auditing-summary: Audit summary of node colby"), summary);
            assertTrue(summary.contains(": 43 denials (40 of them rate-limited by the DSM)"), summary);
            assertTrue(summary.contains("DENY 2") && summary.contains("FORGED_LABEL 1") && summary.contains("SERVICE 1"), summary);
            assertTrue(summary.contains("most denied: DENY receive 10@1 -> 20@2 tcp 10.0.0.2:8080 (42), FORGED_LABEL"), summary);
            // a quiet interval sends nothing: a deliberate pause over two 1 s intervals (an absence cannot be awaited)
            int n = raised.size();
            Thread.sleep(2500);
            assertEquals(n, raised.size(), raised.toString());
        } finally {
            rt.close();
        }
    }

    /**
     * The attack: a remote sender floods denials from thousands of source ports (each a new "flow"
     * for the DSM's rate limiter) to rotate real evidence out of a small journal. The evidence stays,
     * and every flood denial is counted in some record.
     */
    @Test
    void floodFromManySourcePortsCannotRotateEvidenceOut() throws Exception {
        AuditSettings s = AuditSettings.from(Map.of("dir", dir.toString(), "buffer.size", 100_000, "node.name", "colby",
                "max.file.bytes", 8192, "max.files", 3, "detector.denials.count", 1_000_000));
        AuditRuntime rt = new AuditRuntime(s, "colby", (id, v) -> EventMapper.RuleRef.UNKNOWN, new AlarmOutbox(10),
                Clock.systemUTC());
        try {
            // the evidence: an exec denied in context 10
            rt.dsmEvent(Fixtures.event(DsmEvent.Type.EXEC_DENIED, 10, 20, 0));
            int flood = 20_000;
            for (int i = 0; i < flood; i++) {
                rt.dsmEvent(new DsmEvent(System.currentTimeMillis() * 1_000_000L, 7, DsmEvent.Type.DENY.code(), 4, 0, 0,
                        20, 2, 0, 0, 0x0A0000FE, 0x0A000002, 1024 + i % 60000, 5060, 17, 0, "", ""));
            }
            assertTrue(rt.drain(30_000));
            // a configuration change while counts are pending keeps them (the gate is reconfigured in place)
            rt.reconfigure(AuditSettings.from(Map.of("dir", dir.toString(), "buffer.size", 100_000, "node.name", "colby",
                    "max.file.bytes", 8192, "max.files", 3, "detector.denials.count", 999_999)));
            rt.close(); // ends the window: the aggregate is written
            AuditRuntime again = new AuditRuntime(s, "colby", (id, v) -> EventMapper.RuleRef.UNKNOWN,
                    new AlarmOutbox(10), Clock.systemUTC());
            rt = again;
            List<AuditRecord> all = rt.query(AuditQuery.all());
            assertTrue(all.stream().anyMatch(r -> r.type().equals(AuditRecord.TYPE_EXEC_DENIED)),
                    "the evidence was rotated out: " + all.size() + " records kept");
            long counted = all.stream().filter(r -> r.type().equals(AuditRecord.TYPE_DENY) && r.dstPort() == 5060)
                    .mapToLong(r -> 1 + r.suppressed()).sum();
            assertEquals(flood, counted, "every flood denial is journaled or counted in an aggregate");
            assertTrue(all.stream().anyMatch(r -> r.text().startsWith("Flood aggregated: ")), all.toString());
            assertTrue(rt.verify().intact(), rt.verify().toString());
        } finally {
            rt.close();
        }
    }
}
