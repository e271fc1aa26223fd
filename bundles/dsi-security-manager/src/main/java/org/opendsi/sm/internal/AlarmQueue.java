package org.opendsi.sm.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.keys.SecureFiles;
import org.opendsi.cluster.protocol.Json;

/**
 * The Security Manager's bounded, persistent queue of alarms not yet stored by the Security Server.
 * An append-only journal ({@code A <alarm json>} added, {@code D <id>} delivered, {@code X <n>} dropped
 * count), fsynced on every add so a crash or restart loses none, compacted atomically when mostly
 * delivered. When full, the oldest LOW/MEDIUM alarm is dropped first, then the oldest HIGH, and
 * CRITICAL only when nothing else is left; drops are counted (and reported as an alarm).
 */
final class AlarmQueue implements AutoCloseable {

    private final Path file;
    private final int max;
    private final Map<String, Alarm> alarms = new LinkedHashMap<>();
    private long dropped;
    private int garbage;
    private FileChannel out;

    AlarmQueue(Path file, int max) {
        this.file = file;
        this.max = max;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            load();
            compact();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the alarm queue " + file, e);
        }
    }

    /** Queues an alarm (dropping one when full); true when it was queued. */
    synchronized boolean add(Alarm a) {
        if (alarms.containsKey(a.id())) {
            return false;
        }
        while (alarms.size() >= max) {
            String victim = victim();
            alarms.remove(victim);
            dropped++;
            append("D " + victim, false);
            append("X " + dropped, false);
        }
        alarms.put(a.id(), a);
        append("A " + Json.MAPPER.valueToTree(Json.alarm(a)).toString(), true);
        return true;
    }

    private String victim() {
        for (AlarmPriority[] level : new AlarmPriority[][] {{AlarmPriority.LOW, AlarmPriority.MEDIUM},
                {AlarmPriority.HIGH}, {AlarmPriority.CRITICAL}}) {
            for (Alarm a : alarms.values()) {
                for (AlarmPriority p : level) {
                    if (a.priority() == p) {
                        return a.id();
                    }
                }
            }
        }
        return alarms.keySet().iterator().next();
    }

    synchronized Optional<Alarm> peek() {
        Iterator<Alarm> it = alarms.values().iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    synchronized List<Alarm> list() {
        return new ArrayList<>(alarms.values());
    }

    /** Marks an alarm delivered. */
    synchronized void remove(String id) {
        if (alarms.remove(id) != null) {
            append("D " + id, false);
            garbage++;
            if (garbage > 1000 && garbage > alarms.size()) {
                try {
                    compact();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot compact the alarm queue " + file, e);
                }
            }
        }
    }

    synchronized int size() {
        return alarms.size();
    }

    synchronized long dropped() {
        return dropped;
    }

    /** After the drop count was reported: subtract what was reported. */
    synchronized void reportedDropped(long n) {
        dropped = Math.max(0, dropped - n);
        append("X " + dropped, true);
    }

    private void append(String line, boolean sync) {
        try {
            out.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            if (sync) {
                out.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the alarm queue " + file, e);
        }
    }

    private void load() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.length() < 2) {
                continue; // a torn last line
            }
            try {
                switch (line.charAt(0)) {
                    case 'A' -> {
                        Alarm a = Json.alarm(Json.MAPPER.readTree(line.substring(2)));
                        alarms.put(a.id(), a);
                    }
                    case 'D' -> alarms.remove(line.substring(2));
                    case 'X' -> dropped = Long.parseLong(line.substring(2).trim());
                    default -> { }
                }
            } catch (IOException | RuntimeException e) {
                // a torn last line after a crash: everything before it is intact
            }
        }
    }

    private void compact() throws IOException {
        StringBuilder b = new StringBuilder();
        for (Alarm a : alarms.values()) {
            b.append("A ").append(Json.alarm(a).toString()).append('\n');
        }
        b.append("X ").append(dropped).append('\n');
        if (out != null) {
            out.close();
        }
        SecureFiles.writeAtomic(file, b.toString().getBytes(StandardCharsets.UTF_8));
        out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        garbage = 0;
    }

    @Override
    public synchronized void close() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }
}
