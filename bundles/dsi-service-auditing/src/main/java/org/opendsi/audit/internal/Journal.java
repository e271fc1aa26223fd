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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditVerification;

/**
 * The local audit journal: JSON lines in {@code audit-NNNNNNNN.jsonl} files under one directory,
 * each record chained to the previous one by SHA-256. When the current file would exceed
 * {@code maxFileBytes} a new one is started (the chain continues across files); the oldest files
 * are deleted so that at most {@code maxFiles} remain. Not thread-safe: one writer thread owns it,
 * readers synchronize on it.
 */
final class Journal implements AutoCloseable {

    private static final Pattern NAME = Pattern.compile("audit-(\\d{8})\\.jsonl");

    private final Path dir;
    private volatile long maxFileBytes;
    private volatile int maxFiles;
    private long lastSeq;
    private String lastHash = AuditRecord.GENESIS;
    private int fileIndex;
    private long fileSize;
    private FileChannel channel;
    private BufferedWriter writer;

    Journal(Path dir, long maxFileBytes, int maxFiles) throws IOException {
        this.dir = dir;
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
        } else {
            fileIndex = 1;
        }
        open();
    }

    void setLimits(long maxFileBytes, int maxFiles) {
        this.maxFileBytes = Math.max(1024, maxFileBytes);
        this.maxFiles = Math.max(1, maxFiles);
    }

    Path dir() {
        return dir;
    }

    long lastSeq() {
        return lastSeq;
    }

    private void open() throws IOException {
        Path f = dir.resolve(name(fileIndex));
        channel = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        fileSize = channel.size();
        writer = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8));
    }

    /** Appends a draft record (seq, prevHash and hash are assigned here) and returns what was written. */
    synchronized AuditRecord append(AuditRecord draft) throws IOException {
        AuditRecord r = new AuditRecord(lastSeq + 1, draft.time(), draft.type(), draft.node(), draft.permission(),
                draft.srcScid(), draft.srcSnid(), draft.tgtScid(), draft.tgtSnid(), draft.ruleId(), draft.ruleLine(),
                draft.ruleLabel(), draft.policyVersion(), draft.pid(), draft.comm(), draft.path(), draft.protocol(),
                draft.srcAddr(), draft.srcPort(), draft.dstAddr(), draft.dstPort(), draft.suppressed(), draft.text(),
                lastHash, null);
        String body = RecordCodec.body(r);
        String hash = RecordCodec.sha256(body);
        String line = RecordCodec.line(body, hash) + "\n";
        long bytes = line.getBytes(StandardCharsets.UTF_8).length;
        if (fileSize > 0 && fileSize + bytes > maxFileBytes) {
            rotate();
        }
        writer.write(line);
        fileSize += bytes;
        lastSeq = r.seq();
        lastHash = hash;
        return new AuditRecord(r.seq(), r.time(), r.type(), r.node(), r.permission(), r.srcScid(), r.srcSnid(),
                r.tgtScid(), r.tgtSnid(), r.ruleId(), r.ruleLine(), r.ruleLabel(), r.policyVersion(), r.pid(), r.comm(),
                r.path(), r.protocol(), r.srcAddr(), r.srcPort(), r.dstAddr(), r.dstPort(), r.suppressed(), r.text(),
                r.prevHash(), hash);
    }

    /** Makes what was appended visible to readers and durable against a process crash. */
    synchronized void flush() throws IOException {
        writer.flush();
    }

    private void rotate() throws IOException {
        writer.flush();
        writer.close();
        fileIndex++;
        open();
        List<Path> files = files();
        for (int i = 0; i < files.size() - maxFiles; i++) {
            Files.deleteIfExists(files.get(i));
        }
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

    /** Checks every file's chain; the oldest remaining file's first link is trusted (older files rotated out). */
    synchronized AuditVerification verify() {
        try {
            writer.flush();
            return verify(files());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit journal in " + dir, e);
        }
    }

    static AuditVerification verify(List<Path> files) throws IOException {
        String prev = null;
        long prevSeq = -1;
        long records = 0;
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
                prev = r.hash();
                prevSeq = r.seq();
                records++;
            }
        }
        return new AuditVerification(true, records, files.size(), null, 0, -1, null);
    }

    private static AuditVerification broken(long records, List<Path> files, Path f, long line, long seq, String why) {
        return new AuditVerification(false, records, files.size(), f.toString(), line, seq, why);
    }

    @Override
    public synchronized void close() throws IOException {
        writer.flush();
        writer.close();
    }
}
