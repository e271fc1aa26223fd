package org.opendsi.audit.internal;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditVerification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local audit journal: JSON lines in {@code audit-NNNNNNNN.jsonl} files under one directory,
 * each record chained to the previous one by SHA-256. When the current file would exceed
 * {@code maxFileBytes} a new one is started (the chain continues across files); the oldest files
 * are deleted so that at most {@code maxFiles} remain, but a file holding records that have not
 * left the node (see {@link Exports}) is kept while forwarding may still catch up (up to twice
 * {@code maxFiles}), and is deleted loudly otherwise. Every deletion is journaled as a
 * {@link AuditRecord#TYPE_ROTATED} record naming the last record removed, so that a file deleted
 * by anyone else shows in {@link #verify}. Not thread-safe: one writer thread owns it, readers
 * synchronize on it.
 */
final class Journal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final Pattern NAME = Pattern.compile("audit-(\\d{8})\\.jsonl");

    /** What has left the node, and who hears of records removed before they did. */
    interface Exports {
        /** Sequence number up to which every record has left the node (0: none). */
        long exportedSeq();

        /** Whether forwarding is configured, i.e. waiting for it can help. */
        boolean forwarding();

        /** Records removed before they left the node: said loudly (an alarm), never silently. */
        void removedUnexported(String what);

        Exports NONE = new Exports() {
            @Override
            public long exportedSeq() {
                return 0;
            }

            @Override
            public boolean forwarding() {
                return false;
            }

            @Override
            public void removedUnexported(String what) {
            }
        };
    }

    private final Path dir;
    private final String node;
    private volatile long maxFileBytes;
    private volatile int maxFiles;
    private volatile Exports exports = Exports.NONE;
    private long lastSeq;
    private String lastHash = AuditRecord.GENESIS;
    /** The last record removed by rotation (0: none), as the newest ROTATED record says. */
    private long lastRemovedSeq;
    private int fileIndex;
    private long fileSize;
    private FileChannel channel;
    private BufferedWriter writer;
    /** Files rotation would delete but keeps for forwarding (said once per file). */
    private int heldBack;

    Journal(Path dir, long maxFileBytes, int maxFiles) throws IOException {
        this(dir, maxFileBytes, maxFiles, "");
    }

    Journal(Path dir, long maxFileBytes, int maxFiles, String node) throws IOException {
        this.dir = dir;
        this.node = node;
        setLimits(maxFileBytes, maxFiles);
        Files.createDirectories(dir);
        List<Path> files = files();
        if (!files.isEmpty()) {
            Path last = files.get(files.size() - 1);
            fileIndex = index(last);
            // continue the chain from the last readable record of the newest file that has one
            for (int i = files.size() - 1; i >= 0 && lastSeq == 0; i--) {
                for (String line : Files.readAllLines(files.get(i), StandardCharsets.UTF_8)) {
                    try {
                        AuditRecord r = RecordCodec.parse(line);
                        lastSeq = r.seq();
                        lastHash = r.hash();
                    } catch (RuntimeException ignored) {
                        // a torn last line (crash mid-write) is reported by verify()
                    }
                }
            }
            lastRemovedSeq = lastRotation(files);
        } else {
            fileIndex = 1;
        }
        open();
    }

    void setLimits(long maxFileBytes, int maxFiles) {
        this.maxFileBytes = Math.max(1024, maxFileBytes);
        this.maxFiles = Math.max(1, maxFiles);
    }

    void setExports(Exports e) {
        this.exports = e == null ? Exports.NONE : e;
    }

    Path dir() {
        return dir;
    }

    long lastSeq() {
        return lastSeq;
    }

    /** The journal now: last record, and the oldest one kept. */
    synchronized AuditCheckpoint checkpoint(Instant at) {
        return new AuditCheckpoint(lastSeq, lastHash, lastSeq == 0 ? 0 : lastRemovedSeq + 1, at);
    }

    private void open() throws IOException {
        Path f = dir.resolve(name(fileIndex));
        channel = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        fileSize = channel.size();
        writer = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8));
    }

    /**
     * Appends a draft record (seq, prevHash and hash are assigned here) and returns what was
     * written: the record, preceded by a ROTATED record when writing it rotated files away.
     */
    synchronized List<AuditRecord> appendAll(AuditRecord draft) throws IOException {
        List<AuditRecord> written = new ArrayList<>(2);
        Line line = line(draft);
        if (fileSize > 0 && fileSize + line.bytes() > maxFileBytes) {
            Optional<AuditRecord> rotated = rotate();
            if (rotated.isPresent()) {
                written.add(write(line(rotated.get())));
                line = line(draft); // chained after the ROTATED record now
            }
        }
        written.add(write(line));
        return written;
    }

    /** {@link #appendAll}, returning the record written for the draft. */
    synchronized AuditRecord append(AuditRecord draft) throws IOException {
        List<AuditRecord> w = appendAll(draft);
        return w.get(w.size() - 1);
    }

    /** A draft chained after the last record: the record with its hash, and its journal line. */
    private record Line(AuditRecord record, String text, long bytes) {
    }

    private Line line(AuditRecord d) {
        AuditRecord r = new AuditRecord(lastSeq + 1, d.time(), d.type(), d.node(), d.permission(), d.srcScid(),
                d.srcSnid(), d.tgtScid(), d.tgtSnid(), d.ruleId(), d.ruleLine(), d.ruleLabel(), d.policyVersion(), d.pid(),
                d.comm(), d.path(), d.protocol(), d.srcAddr(), d.srcPort(), d.dstAddr(), d.dstPort(), d.suppressed(),
                d.text(), lastHash, null);
        String body = RecordCodec.body(r);
        String hash = RecordCodec.sha256(body);
        String text = RecordCodec.line(body, hash) + "\n";
        AuditRecord hashed = new AuditRecord(r.seq(), r.time(), r.type(), r.node(), r.permission(), r.srcScid(),
                r.srcSnid(), r.tgtScid(), r.tgtSnid(), r.ruleId(), r.ruleLine(), r.ruleLabel(), r.policyVersion(), r.pid(),
                r.comm(), r.path(), r.protocol(), r.srcAddr(), r.srcPort(), r.dstAddr(), r.dstPort(), r.suppressed(),
                r.text(), r.prevHash(), hash);
        return new Line(hashed, text, text.getBytes(StandardCharsets.UTF_8).length);
    }

    private AuditRecord write(Line line) throws IOException {
        AuditRecord r = line.record();
        writer.write(line.text());
        fileSize += line.bytes();
        lastSeq = r.seq();
        lastHash = r.hash();
        if (AuditRecord.TYPE_ROTATED.equals(r.type())) {
            lastRemovedSeq = r.suppressed();
        }
        return r;
    }

    /** Makes what was appended visible to readers and durable against a process crash. */
    synchronized void flush() throws IOException {
        writer.flush();
    }

    /**
     * Starts a new file and removes the oldest ones beyond {@code maxFiles}: at once when every
     * record in them has left the node; otherwise not while forwarding may catch up (up to twice
     * {@code maxFiles}), else loudly. Returns the ROTATED record draft when files were removed.
     */
    private Optional<AuditRecord> rotate() throws IOException {
        writer.flush();
        writer.close();
        fileIndex++;
        open();
        List<Path> files = files();
        List<Path> removed = new ArrayList<>();
        long removedUpTo = 0;
        long unexported = 0;
        long exported = exports.exportedSeq();
        for (int i = 0; i < files.size() - maxFiles; i++) {
            Path f = files.get(i);
            long last = lastSeqOf(f);
            if (last > exported) {
                if (exports.forwarding() && files.size() - i <= 2 * maxFiles) {
                    if (heldBack++ == 0) {
                        LOG.warn("Audit journal {}: keeping {} beyond max.files = {}: it holds records up to {} that "
                                + "have not been forwarded yet (forwarded up to {})", dir, f.getFileName(), maxFiles, last,
                                exported);
                    }
                    break;
                }
                unexported += last - Math.max(exported, firstSeqOf(f) - 1);
            }
            Files.deleteIfExists(f);
            removed.add(f);
            removedUpTo = last;
        }
        if (removed.isEmpty()) {
            return Optional.empty();
        }
        heldBack = 0;
        String names = removed.get(0).getFileName() + (removed.size() > 1
                ? ".." + removed.get(removed.size() - 1).getFileName() : "");
        String text = "Rotation removed " + names + " (records up to " + removedUpTo + "): "
                + (unexported == 0 ? "every record in it had left the node"
                : unexported + " of its records had not left the node ("
                        + (exports.forwarding() ? "forwarding is behind" : "no forwarding configured") + ")");
        if (unexported > 0) {
            exports.removedUnexported(text);
        }
        return Optional.of(new AuditRecord(0, Instant.now(), AuditRecord.TYPE_ROTATED, node, "", 0, 0, 0, 0, 0, 0, "", 0,
                0, "", names, "", "", 0, "", 0, removedUpTo, text, null, null));
    }

    private static long lastSeqOf(Path f) throws IOException {
        long last = 0;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            try {
                last = RecordCodec.parse(line).seq();
            } catch (RuntimeException ignored) {
                // a torn line: verify() reports it
            }
        }
        return last;
    }

    private static long firstSeqOf(Path f) throws IOException {
        try (java.io.BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            return line == null ? 0 : RecordCodec.parse(line).seq();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * The last record removed according to the newest ROTATED record (0: nothing was ever rotated).
     * Each rotation writes its record into the file it starts, so the newest file that holds one
     * holds the newest: files are read newest first, and only until one is found.
     */
    private static long lastRotation(List<Path> files) throws IOException {
        for (int i = files.size() - 1; i >= 0; i--) {
            long last = -1;
            for (String line : Files.readAllLines(files.get(i), StandardCharsets.UTF_8)) {
                if (line.contains("\"ROTATED\"")) {
                    try {
                        AuditRecord r = RecordCodec.parse(line);
                        if (AuditRecord.TYPE_ROTATED.equals(r.type())) {
                            last = r.suppressed();
                        }
                    } catch (RuntimeException ignored) {
                        // verify() reports it
                    }
                }
            }
            if (last >= 0) {
                return last;
            }
        }
        return 0;
    }

    /**
     * A cheap check of what may have happened to the files behind the writer's back: the current
     * file shorter than what was written to it or gone, a file missing between the oldest and the
     * newest, the oldest file not starting where rotation left off. Empty when none of these.
     */
    synchronized Optional<String> quickCheck() throws IOException {
        writer.flush();
        Path current = dir.resolve(name(fileIndex));
        if (!Files.exists(current)) {
            return Optional.of("the current journal file " + current.getFileName() + " was deleted");
        }
        if (Files.size(current) < fileSize) {
            return Optional.of("the current journal file " + current.getFileName() + " was cut from " + fileSize + " to "
                    + Files.size(current) + " bytes");
        }
        List<Path> files = files();
        for (int i = 1; i < files.size(); i++) {
            if (index(files.get(i)) != index(files.get(i - 1)) + 1) {
                return Optional.of("journal file(s) missing between " + files.get(i - 1).getFileName() + " and "
                        + files.get(i).getFileName());
            }
        }
        if (!files.isEmpty() && lastSeq > 0) {
            long first = firstSeqOf(files.get(0));
            if (first != 0 && first != lastRemovedSeq + 1) {
                return Optional.of("the oldest journal file " + files.get(0).getFileName() + " starts at record " + first
                        + " but rotation removed records up to " + lastRemovedSeq + " only: records "
                        + (lastRemovedSeq + 1) + ".." + (first - 1) + " are missing (a file was deleted)");
            }
        }
        return Optional.empty();
    }

    List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
    }

    private static int index(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static String name(int index) {
        return String.format("audit-%08d.jsonl", index);
    }

    /** Up to {@code max} records after sequence number {@code seq}, oldest first (what forwarding has not sent). */
    synchronized List<AuditRecord> recordsAfter(long seq, int max) {
        try {
            writer.flush();
            List<AuditRecord> out = new ArrayList<>();
            for (Path f : files()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    try {
                        AuditRecord r = RecordCodec.parse(line);
                        if (r.seq() > seq && out.size() < max) {
                            out.add(r);
                        }
                    } catch (RuntimeException e) {
                        // verify() reports it
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit journal in " + dir, e);
        }
    }

    /** Records matching the query, oldest first; the most recent {@code limit} when limited. */
    synchronized List<AuditRecord> query(AuditQuery q) {
        try {
            writer.flush();
            Deque<AuditRecord> out = new ArrayDeque<>();
            for (Path f : files()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    AuditRecord r;
                    try {
                        r = RecordCodec.parse(line);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    if (q.matches(r)) {
                        out.addLast(r);
                        if (q.limit() > 0 && out.size() > q.limit()) {
                            out.removeFirst();
                        }
                    }
                }
            }
            return new ArrayList<>(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit journal in " + dir, e);
        }
    }

    /**
     * Checks every file's chain, that the oldest record kept follows the last one rotation removed
     * (records 1.. when nothing was rotated), and that the journal still holds each anchor (a
     * checkpoint kept off the node or beside it): its record, with its hash, unless rotated out.
     */
    synchronized AuditVerification verifyAgainst(List<Anchor> anchors) {
        try {
            writer.flush();
            return verify(files(), anchors);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit journal in " + dir, e);
        }
    }

    /** A checkpoint to hold the journal against, and where it was kept ("the Security Server", "the local checkpoint file"). */
    record Anchor(AuditCheckpoint checkpoint, String where) {
    }

    synchronized AuditVerification verify() {
        return verifyAgainst(List.of());
    }

    static AuditVerification verify(List<Path> files) throws IOException {
        return verify(files, List.of());
    }

    static AuditVerification verify(List<Path> files, List<Anchor> anchors) throws IOException {
        String prev = null;
        long prevSeq = -1;
        long first = 0;
        long records = 0;
        long removedUpTo = 0;
        Path lastFile = files.isEmpty() ? null : files.get(files.size() - 1);
        for (Path f : files) {
            long lineNo = 0;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                lineNo++;
                String[] parts = RecordCodec.split(line);
                if (parts == null) {
                    return broken(records, files, f, lineNo, -1, "the record has no well-formed hash (truncated or edited)");
                }
                AuditRecord r;
                try {
                    r = RecordCodec.parse(line);
                } catch (RuntimeException e) {
                    return broken(records, files, f, lineNo, -1, "the record is not valid JSON: " + e.getMessage());
                }
                if (!RecordCodec.sha256(parts[0]).equals(parts[1])) {
                    return broken(records, files, f, lineNo, r.seq(), "the record's content does not match its hash (edited)");
                }
                if (prev != null && !prev.equals(r.prevHash())) {
                    return broken(records, files, f, lineNo, r.seq(),
                            "the record does not link to the previous one (a record was removed, inserted or replaced)");
                }
                if (prevSeq >= 0 && r.seq() != prevSeq + 1) {
                    return broken(records, files, f, lineNo, r.seq(),
                            "sequence jumps from " + prevSeq + " to " + r.seq());
                }
                // each anchor on its own: the one beside the journal and the SS's may disagree
                for (Anchor a : anchors) {
                    if (a.checkpoint().seq() == r.seq() && !a.checkpoint().hash().equals(r.hash())) {
                        return broken(records, files, f, lineNo, r.seq(), "the record is not the one " + a.where()
                                + " anchored with this number (hash " + abbrev(a.checkpoint().hash())
                                + "): the journal was rewritten");
                    }
                }
                if (AuditRecord.TYPE_ROTATED.equals(r.type())) {
                    removedUpTo = Math.max(removedUpTo, r.suppressed());
                }
                if (prevSeq < 0) {
                    first = r.seq();
                }
                prev = r.hash();
                prevSeq = r.seq();
                records++;
            }
        }
        if (first > 0 && first != removedUpTo + 1) {
            return broken(records, files, files.get(0), 1, first, "the oldest record kept is " + first
                    + " but rotation removed records up to " + removedUpTo + " only: records " + (removedUpTo + 1) + ".."
                    + (first - 1) + " are missing (a journal file was deleted)");
        }
        for (Anchor a : anchors) {
            long seq = a.checkpoint().seq();
            if (seq > Math.max(prevSeq, 0)) {
                return broken(records, files, lastFile == null ? "(no journal file)" : lastFile.toString(), 0, seq,
                        "the journal ends at record " + Math.max(prevSeq, 0) + " but record " + seq + " (hash "
                                + abbrev(a.checkpoint().hash()) + ") was anchored on " + a.checkpoint().time() + " by "
                                + a.where() + ": records " + (Math.max(prevSeq, 0) + 1) + ".." + seq
                                + " are missing (tail cut or file deleted)");
            }
        }
        return new AuditVerification(true, records, files.size(), null, 0, -1, null);
    }

    private static String abbrev(String hash) {
        return hash.length() > 12 ? hash.substring(0, 12) + "…" : hash;
    }

    private static AuditVerification broken(long records, List<Path> files, Path f, long line, long seq, String why) {
        return broken(records, files, f.toString(), line, seq, why);
    }

    private static AuditVerification broken(long records, List<Path> files, String f, long line, long seq, String why) {
        return new AuditVerification(false, records, files.size(), f, line, seq, why);
    }

    @Override
    public synchronized void close() throws IOException {
        writer.flush();
        writer.close();
    }
}
