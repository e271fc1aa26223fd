package org.opendsi.ss.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.cluster.protocol.Json;
import org.opendsi.keys.SecureFiles;
import org.opendsi.ss.StoredAlarm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file store's alarms as an append-only log ({@code alarms.log}, one JSON line per alarm stored or
 * updated, fsynced): storing an alarm costs one line, not a rewrite of every alarm. The last line of an
 * id wins. The log is compacted (rewritten atomically with what it holds) when it has grown to twice
 * what it holds and when it is opened; a line cut by a crash mid-append is dropped with a warning.
 * The {@code alarms.json} of earlier versions is read once and replaced by the log.
 */
final class AlarmLog {

    private static final Logger LOG = LoggerFactory.getLogger(AlarmLog.class);

    private final Path file;
    private final Path legacy;
    private final int max;
    private final Map<String, StoredAlarm> alarms = new LinkedHashMap<>();
    private int lines;

    AlarmLog(Path dir, int max) throws IOException {
        this.file = dir.resolve("alarms.log");
        this.legacy = dir.resolve("alarms.json");
        this.max = max;
        load();
    }

    Map<String, StoredAlarm> alarms() {
        return alarms;
    }

    /** Stores or replaces the alarm (one appended line), then drops the oldest beyond the maximum. */
    void put(StoredAlarm a) {
        alarms.put(a.alarm().id(), a);
        while (alarms.size() > max) {
            alarms.remove(alarms.keySet().iterator().next());
        }
        try {
            if (lines + 1 > 2 * Math.max(alarms.size(), 16)) {
                compact();
            } else {
                append(a);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void append(StoredAlarm a) throws IOException {
        byte[] line = (line(a) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(SecureFiles.FILE_600))) {
            ch.write(ByteBuffer.wrap(line));
            ch.force(false);
        }
        lines++;
    }

    private void compact() throws IOException {
        StringBuilder b = new StringBuilder();
        for (StoredAlarm a : alarms.values()) {
            b.append(line(a)).append('\n');
        }
        SecureFiles.writeAtomic(file, b.toString());
        lines = alarms.size();
    }

    private static String line(StoredAlarm s) {
        ObjectNode o = Json.object();
        o.set("alarm", Json.alarm(s.alarm()));
        Json.put(o, "receivedAt", s.receivedAt());
        Json.put(o, "ackedAt", s.ackedAt());
        return o.toString();
    }

    private static StoredAlarm parse(JsonNode o) {
        return new StoredAlarm(Json.alarm(o.get("alarm")), Json.instant(o, "receivedAt"), Json.instant(o, "ackedAt"));
    }

    private void load() throws IOException {
        if (Files.exists(file)) {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < all.size(); i++) {
                String l = all.get(i);
                if (l.isBlank()) {
                    continue;
                }
                try {
                    StoredAlarm a = parse(Json.MAPPER.readTree(l));
                    alarms.put(a.alarm().id(), a); // an update keeps the alarm's first place
                } catch (IOException | RuntimeException e) {
                    if (i < all.size() - 1) {
                        throw new IOException(file + " line " + (i + 1) + " is unreadable: " + e.getMessage(), e);
                    }
                    LOG.warn("{}: the last line was cut (a crash while storing an alarm?); dropped", file);
                }
            }
        } else if (Files.exists(legacy)) {
            for (JsonNode o : Json.MAPPER.readTree(legacy.toFile())) {
                StoredAlarm a = parse(o);
                alarms.put(a.alarm().id(), a);
            }
        }
        while (alarms.size() > max) {
            alarms.remove(alarms.keySet().iterator().next());
        }
        if (Files.exists(file) || !alarms.isEmpty()) {
            compact();
        }
        Files.deleteIfExists(legacy);
    }
}
