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
            long rotations = all.stream().filter(r -> r.type().equals(AuditRecord.TYPE_ROTATED)).count();
            assertTrue(rotations > 0);
            // every removal is journaled (ROTATED records take sequence numbers too)
            assertEquals(8199, all.get(all.size() - 1).dstPort());
            assertTrue(all.get(all.size() - 1).seq() > 200);
            assertEquals(all.size(), v.records());
        }
    }

    private static Journal.Anchor anchor(Journal j) {
        return new Journal.Anchor(j.checkpoint(Instant.parse("2026-12-04T10:00:00Z")), "the Security Server");
    }

    /** The attack: cut the tail of the journal (as root, with the node stopped); the anchor shows it. */
    @Test
    void cutTailIsReportedAgainstTheAnchor() throws Exception {
        Journal.Anchor a;
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            fill(j, 50);
            a = anchor(j);
        }
        Path f = dir.resolve("audit-00000001.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        Files.write(f, lines.subList(0, 40), StandardCharsets.UTF_8);
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            assertTrue(j.verify().intact(), "the chain alone cannot tell");
            AuditVerification v = j.verifyAgainst(List.of(a));
            assertFalse(v.intact());
            assertEquals(50, v.seq());
            assertTrue(v.problem().contains("the journal ends at record 40 but record 50")
                    && v.problem().contains("anchored on 2026-12-04T10:00:00Z by the Security Server")
                    && v.problem().contains("records 41..50 are missing"), v.problem());
        }
    }

    /** The same cut while the node runs: the writer notices its file got shorter. */
    @Test
    void cutTailWhileRunningIsNoticed() throws Exception {
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            fill(j, 20);
            assertEquals(java.util.Optional.empty(), j.quickCheck());
            Path f = dir.resolve("audit-00000001.jsonl");
            List<String> lines = new ArrayList<>(Files.readAllLines(f));
            Files.write(f, lines.subList(0, 10), StandardCharsets.UTF_8);
            String p = j.quickCheck().orElseThrow();
            assertTrue(p.contains("audit-00000001.jsonl was cut from"), p);
        }
    }

    /** The attack: delete the oldest journal file; the newest rotation mark shows records are missing. */
    @Test
    void deletedOldestFileIsReported() throws Exception {
        try (Journal j = new Journal(dir, 4096, 3)) {
            fill(j, 200);
            assertTrue(j.verify().intact());
            List<Path> files = j.files();
            Files.delete(files.get(0));
            String p = j.quickCheck().orElseThrow();
            assertTrue(p.contains("records") && p.contains("are missing (a file was deleted)"), p);
            AuditVerification v = j.verify();
            assertFalse(v.intact());
            assertTrue(v.problem().contains("are missing (a journal file was deleted)"), v.problem());
        }
    }

    /** A middle file deleted: a gap in the file numbers and a broken link. */
    @Test
    void deletedMiddleFileIsReported() throws Exception {
        try (Journal j = new Journal(dir, 4096, 3)) {
            fill(j, 200);
            Files.delete(j.files().get(1));
            assertTrue(j.quickCheck().orElseThrow().contains("missing between"));
            assertFalse(j.verify().intact());
        }
    }

    /** The whole chain rewritten consistently (same count): only the anchor's hash can tell. */
    @Test
    void rewrittenChainIsReportedAgainstTheAnchor() throws Exception {
        Journal.Anchor a;
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            fill(j, 10);
            a = anchor(j);
        }
        for (Path f : Files.list(dir).toList()) {
            Files.delete(f);
        }
        try (Journal j = new Journal(dir, 1 << 20, 5)) {
            for (int i = 0; i < 10; i++) {
                j.append(Fixtures.record(Fixtures.deny(9000 + i)));
            }
            j.flush();
            assertTrue(j.verify().intact());
            AuditVerification v = j.verifyAgainst(List.of(a));
            assertFalse(v.intact());
            assertEquals(10, v.seq());
            assertTrue(v.problem().contains("was rewritten"), v.problem());
        }
    }

    /** Records that have not left the node are kept while forwarding may catch up, then removed loudly. */
    @Test
    void rotationKeepsWhatHasNotLeftTheNode() throws Exception {
        java.util.concurrent.atomic.AtomicLong exported = new java.util.concurrent.atomic.AtomicLong();
        List<String> loud = new ArrayList<>();
        try (Journal j = new Journal(dir, 4096, 3)) {
            j.setExports(new Journal.Exports() {
                @Override
                public long exportedSeq() {
                    return exported.get();
                }

                @Override
                public boolean forwarding() {
                    return true;
                }

                @Override
                public void removedUnexported(String what) {
                    loud.add(what);
                }
            });
            // about five records per file: 23 records need five files, beyond max.files = 3
            fill(j, 23);
            assertTrue(j.files().size() > 3 && j.files().size() <= 6, j.files().toString());
            assertTrue(loud.isEmpty(), loud.toString());
            // forwarding catches up: the files beyond max.files go, silently and journaled
            exported.set(j.lastSeq());
            fill(j, 10);
            assertEquals(3, j.files().size());
            assertTrue(loud.isEmpty(), loud.toString());
            assertTrue(j.verify().intact());
            // forwarding stops for good: beyond twice max.files the oldest go, loudly
            exported.set(j.lastSeq());
            fill(j, 400);
            assertTrue(j.files().size() <= 6, j.files().toString());
            assertFalse(loud.isEmpty());
            assertTrue(loud.get(0).contains("had not left the node (forwarding is behind)"), loud.get(0));
            assertTrue(j.verify().intact(), j.verify().toString());
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
