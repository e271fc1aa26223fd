package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditVerification;
import org.opendsi.dsm.DsmEvent;

class JournalTest {

    @TempDir
    Path dir;

    private static void fill(Journal j, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            j.append(Fixtures.record(Fixtures.deny(8000 + i)));
        }
        j.flush();
    }

    @Test
    void recordsAreChainedAndSurviveReopen() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            AuditRecord a = j.append(Fixtures.record(Fixtures.deny(80)));
            AuditRecord b = j.append(Fixtures.record(Fixtures.deny(81)));
            assertEquals(AuditRecord.GENESIS, a.prevHash());
            assertEquals(a.hash(), b.prevHash());
            assertEquals(2, b.seq());
        }
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            AuditRecord c = j.append(Fixtures.record(Fixtures.deny(82)));
            assertEquals(3, c.seq());
            j.flush();
            List<AuditRecord> all = j.query(AuditQuery.all());
            assertEquals(3, all.size());
            assertEquals(all.get(1).hash(), c.prevHash());
            AuditRecord first = all.get(0);
            assertEquals("DENY", first.type());
            assertEquals(10, first.srcScid());
            assertEquals(2, first.tgtSnid());
            assertEquals(12, first.ruleLine());
            assertEquals("deny 10 -> 20 receive", first.ruleLabel());
            assertEquals("10.0.0.2", first.dstAddr());
            assertEquals(80, first.dstPort());
            assertEquals(4242, first.pid());
            assertEquals(7, first.policyVersion());
            assertTrue(j.verify().intact(), j.verify().toString());
            assertEquals(3, j.verify().records());
        }
    }

    @Test
    void editedRecordIsReportedAtItsLine() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            fill(j, 5);
        }
        Path f = dir.resolve("audit-00000001.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.set(2, lines.get(2).replace("\"scid\":10", "\"scid\":11"));
        Files.write(f, lines, StandardCharsets.UTF_8);
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            AuditVerification v = j.verify();
            assertFalse(v.intact());
            assertEquals(3, v.line());
            assertEquals(3, v.seq());
            assertEquals(2, v.records());
            assertTrue(v.problem().contains("hash"), v.problem());
        }
    }

    @Test
    void removedRecordBreaksTheLink() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            fill(j, 5);
        }
        Path f = dir.resolve("audit-00000001.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.remove(1);
        Files.write(f, lines, StandardCharsets.UTF_8);
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            AuditVerification v = j.verify();
            assertFalse(v.intact());
            assertEquals(2, v.line());
            assertTrue(v.problem().contains("link"), v.problem());
        }
    }

    @Test
    void rewrittenRecordWithRecomputedHashStillBreaksTheNextLink() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            fill(j, 4);
        }
        Path f = dir.resolve("audit-00000001.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        String[] parts = RecordCodec.split(lines.get(1));
        String forgedBody = parts[0].replace("\"scid\":10", "\"scid\":99");
        lines.set(1, RecordCodec.line(forgedBody, RecordCodec.sha256(forgedBody)));
        Files.write(f, lines, StandardCharsets.UTF_8);
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            AuditVerification v = j.verify();
            assertFalse(v.intact());
            assertEquals(3, v.line());
        }
    }

    @Test
    void rotationKeepsFilesAndSizeBoundedAndTheChainAcrossFiles() throws Exception {
        long max = 4096;
        try (Journal j = new Journal(dir, max, 3)) {
            fill(j, 200);
            List<Path> files = j.files();
            assertEquals(3, files.size(), files.toString());
            for (Path f : files) {
                assertTrue(Files.size(f) <= max, f + " is " + Files.size(f));
            }
            AuditVerification v = j.verify();
            assertTrue(v.intact(), v.toString());
            assertEquals(3, v.files());
            List<AuditRecord> all = j.query(AuditQuery.all());
            assertEquals(200, all.get(all.size() - 1).seq());
            assertEquals(all.size(), v.records());
        }
    }

    @Test
    void queryFilters() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            j.append(Fixtures.record(Fixtures.event(DsmEvent.Type.DENY, 10, 20, 0)));
            j.append(Fixtures.record(Fixtures.event(DsmEvent.Type.TRANSITION, 30, 31, 0)));
            j.append(Fixtures.record(Fixtures.event(DsmEvent.Type.AUDIT_DENY, 40, 10, 0)));
            j.append(EventMapper.service(AuditRecord.TYPE_LOST, "colby", 5, "5 lost"));
            j.flush();
            assertEquals(4, j.query(AuditQuery.all()).size());
            assertEquals(2, j.query(new AuditQuery(true, null, null, null, 0)).size());
            assertEquals(2, j.query(new AuditQuery(false, null, 10, null, 0)).size());
            assertEquals(1, j.query(new AuditQuery(false, null, 31, null, 0)).size());
            assertEquals(3, j.query(new AuditQuery(false, null, null, 2, 0)).size());
            List<AuditRecord> last = j.query(new AuditQuery(false, null, null, null, 2));
            assertEquals(List.of(3L, 4L), last.stream().map(AuditRecord::seq).toList());
            assertEquals(0, j.query(new AuditQuery(false, Instant.now().plusSeconds(60), null, null, 0)).size());
            assertEquals(4, j.query(new AuditQuery(false, Instant.now().minusSeconds(60), null, null, 0)).size());
        }
    }

    @Test
    void textIsEscapedAndRoundTrips() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            j.append(EventMapper.service(AuditRecord.TYPE_SERVICE, "n\"o\\de", 0, "line\nbreak \u0001 ü"));
            j.flush();
            AuditRecord r = j.query(AuditQuery.all()).get(0);
            assertEquals("n\"o\\de", r.node());
            assertEquals("line\nbreak \u0001 ü", r.text());
            assertTrue(j.verify().intact());
        }
    }
}
