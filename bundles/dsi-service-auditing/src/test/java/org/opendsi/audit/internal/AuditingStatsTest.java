package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditingStatsTest {

    @TempDir
    Path dir;

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();

    private AuditRuntime runtime(Map<String, Object> extra) throws Exception {
        Map<String, Object> c = new java.util.HashMap<>(Map.of("dir", dir.toString(), "node.name", "colby",
                "detector.denials.count", 1000));
        c.putAll(extra);
        return new AuditRuntime(AuditSettings.from(c), "colby", (id, v) -> EventMapper.RuleRef.UNKNOWN,
                new AlarmOutbox(10), Clock.systemUTC());
    }

    private ObjectName register(AuditRuntime rt) throws Exception {
        ObjectName name = new ObjectName(AuditingStats.OBJECT_NAME);
        server.registerMBean(new AuditingStats(rt), name);
        return name;
    }

    @Test
    void journalFiguresComeThrough() throws Exception {
        try (AuditRuntime rt = runtime(Map.of())) {
            ObjectName name = register(rt);
            for (int i = 0; i < 3; i++) {
                rt.dsmEvent(Fixtures.deny(8080 + i));
            }
            assertTrue(rt.drain(10_000));
            long last = (Long) server.getAttribute(name, "LastSeq");
            assertTrue(last >= 4, "start record and 3 denials: " + last);
            assertEquals(last, server.getAttribute(name, "Records"));
            long bytes = (Long) server.getAttribute(name, "Bytes");
            List<Path> files = rt.journal().files();
            assertEquals(files.size(), server.getAttribute(name, "Files"));
            long onDisk = 0;
            for (Path f : files) {
                onDisk += Files.size(f);
            }
            assertEquals(onDisk, bytes);
            assertTrue(bytes > 0);
            assertEquals(true, server.getAttribute(name, "Intact"));
            assertEquals("", server.getAttribute(name, "IntegrityProblem"));
            assertEquals(0L, server.getAttribute(name, "RecordsLost"));
            assertEquals(false, server.getAttribute(name, "SyslogForwarding"));
            assertEquals("off", server.getAttribute(name, "SyslogState"));
            assertEquals(-1L, server.getAttribute(name, "SyslogSent"));
            assertEquals(-1L, server.getAttribute(name, "SyslogPending"));
            for (var a : server.getMBeanInfo(name).getAttributes()) {
                assertEquals(false, a.isWritable(), a.getName());
            }
        }
    }

    @Test
    void aTamperedJournalShowsAsNotIntact() throws Exception {
        try (AuditRuntime rt = runtime(Map.of())) {
            rt.dsmEvent(Fixtures.deny(8080));
            assertTrue(rt.drain(10_000));
        }
        Path f = Files.list(dir).filter(p -> p.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        lines.set(1, lines.get(1).replace("\"scid\":10", "\"scid\":11"));
        Files.write(f, lines, StandardCharsets.UTF_8);
        try (AuditRuntime rt = runtime(Map.of())) {
            ObjectName name = register(rt);
            assertEquals(false, server.getAttribute(name, "Intact"));
            assertTrue(((String) server.getAttribute(name, "IntegrityProblem")).contains("at start"),
                    (String) server.getAttribute(name, "IntegrityProblem"));
        }
    }

    @Test
    void syslogBacklogIsPendingWhileTheServerIsUnreachable() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        try (AuditRuntime rt = runtime(Map.of("syslog.host", "127.0.0.1", "syslog.port", port))) {
            ObjectName name = register(rt);
            rt.dsmEvent(Fixtures.deny(8080));
            assertTrue(rt.drain(10_000));
            assertEquals(true, server.getAttribute(name, "SyslogForwarding"));
            assertEquals(0L, server.getAttribute(name, "SyslogSent"));
            assertEquals(server.getAttribute(name, "LastSeq"), server.getAttribute(name, "SyslogPending"));
        }
    }
}
