package org.opendsi.policy.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.opendsi.api.policy.PolicySummary;
import org.opendsi.api.policy.PolicyVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy history on disk: per version {@code <version>.xml} (the DSP source as applied) and
 * {@code <version>.properties} (version, time, source, digest and summary counts), version
 * zero-padded to 19 digits so names sort by version. Each file is written to a temp file in the
 * same directory, forced to disk and moved into place with ATOMIC_MOVE; the metadata is written
 * last and is the commit mark, so a crash leaves either a complete version or an orphan XML file
 * that is ignored and cleaned up. Not thread-safe: the service serialises writers.
 */
final class PolicyHistory {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyHistory.class);
    private static final Pattern META = Pattern.compile("(\\d{19})\\.properties");

    /** A stored version: its metadata and where its XML is. */
    record Entry(PolicyVersion version, Path xml) {
    }

    private final Path dir;

    PolicyHistory(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** Every complete version, oldest first; removes leftovers of interrupted writes. */
    List<Entry> load() throws IOException {
        Files.createDirectories(dir);
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                Matcher m = META.matcher(name);
                if (m.matches()) {
                    Path xml = dir.resolve(m.group(1) + ".xml");
                    if (!Files.isRegularFile(xml)) {
                        LOG.warn("policy history: {} has no {}, ignored", p, xml.getFileName());
                        continue;
                    }
                    try {
                        PolicyVersion v = readMeta(p);
                        if (v.version() != Long.parseLong(m.group(1))) {
                            throw new IOException("version " + v.version() + " does not match the file name");
                        }
                        out.add(new Entry(v, xml));
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("policy history: unreadable {}, ignored: {}", p, e.toString());
                    }
                } else if (name.endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.version().version(), b.version().version()));
        return out;
    }

    /** Stores a version (XML first, metadata last). */
    void store(PolicyVersion v, byte[] xml) throws IOException {
        Files.createDirectories(dir);
        String base = String.format("%019d", v.version());
        atomicWrite(dir.resolve(base + ".xml"), xml);
        atomicWrite(dir.resolve(base + ".properties"), writeMeta(v));
    }

    byte[] readXml(Entry e) throws IOException {
        return Files.readAllBytes(e.xml());
    }

    /** Deletes a version (metadata first, so a crash never leaves metadata without XML). */
    void delete(long version) throws IOException {
        String base = String.format("%019d", version);
        Files.deleteIfExists(dir.resolve(base + ".properties"));
        Files.deleteIfExists(dir.resolve(base + ".xml"));
    }

    private void atomicWrite(Path target, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the history directory " + dir + " does not support atomic moves", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] writeMeta(PolicyVersion v) throws IOException {
        Properties p = new Properties();
        p.setProperty("version", Long.toString(v.version()));
        p.setProperty("time", v.appliedAt().toString());
        p.setProperty("source", v.source());
        PolicySummary s = v.summary();
        p.setProperty("digest", s.digest());
        p.setProperty("name", s.name());
        p.setProperty("contexts", Integer.toString(s.contexts()));
        p.setProperty("nodes", Integer.toString(s.nodes()));
        p.setProperty("zones", Integer.toString(s.zones()));
        p.setProperty("rules", Integer.toString(s.rules()));
        p.setProperty("socketLabels", Integer.toString(s.socketLabels()));
        p.setProperty("transitions", Integer.toString(s.transitions()));
        p.setProperty("netRules", Integer.toString(s.netRules()));
        p.setProperty("tableEntries", Integer.toString(s.tableEntries()));
        StringWriter w = new StringWriter();
        p.store(w, "DSI policy version " + v.version());
        return w.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static PolicyVersion readMeta(Path file) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        PolicySummary s = new PolicySummary(p.getProperty("name", ""), i(p, "contexts"), i(p, "nodes"), i(p, "zones"),
                i(p, "rules"), i(p, "socketLabels"), i(p, "transitions"), i(p, "netRules"), i(p, "tableEntries"),
                req(p, "digest"));
        return new PolicyVersion(Long.parseLong(req(p, "version")), Instant.parse(req(p, "time")),
                p.getProperty("source", ""), s);
    }

    private static String req(Properties p, String key) throws IOException {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IOException("missing '" + key + "'");
        }
        return v;
    }

    private static int i(Properties p, String key) {
        return Integer.parseInt(p.getProperty(key, "0"));
    }

    static Optional<Entry> find(List<Entry> entries, long version) {
        return entries.stream().filter(e -> e.version().version() == version).findFirst();
    }
}
