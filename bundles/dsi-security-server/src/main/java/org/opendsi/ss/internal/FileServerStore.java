package org.opendsi.ss.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoredCheckpoint;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.ss.StoredLabelKeys;
import org.opendsi.keys.SecureFiles;
import org.opendsi.cluster.protocol.Json;

/**
 * {@link ServerStore} in JSON files under one folder, each replaced atomically (temp file, fsync,
 * atomic rename): {@code nodes.json}, {@code compromised.json} and {@code policies/<version>.xml};
 * alarms are appended to {@code alarms.log} ({@link AlarmLog}). Keeps the newest {@code maxAlarms} alarms
 * and {@code maxPolicies} sources.
 */
public final class FileServerStore implements ServerStore {

    private final Path dir;
    private final int maxAlarms;
    private final int maxPolicies;
    private final Map<Integer, NodeRecord> nodes = new TreeMap<>(Integer::compareUnsigned);
    private AlarmLog alarmLog;
    private final Set<Integer> compromised = new TreeSet<>(Integer::compareUnsigned);
    private final Map<Integer, StoredCheckpoint> anchors = new TreeMap<>(Integer::compareUnsigned);
    private StoredLabelKeys labelKeys;

    public FileServerStore(Path dir) {
        this(dir, 100_000, 100);
    }

    public FileServerStore(Path dir, int maxAlarms, int maxPolicies) {
        this.dir = dir;
        this.maxAlarms = maxAlarms;
        this.maxPolicies = maxPolicies;
        try {
            Files.createDirectories(dir.resolve("policies"));
            load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the Security Server store in " + dir, e);
        }
    }

    public Path directory() {
        return dir;
    }

    @Override
    public synchronized List<NodeRecord> nodes() {
        return List.copyOf(nodes.values());
    }

    @Override
    public synchronized Optional<NodeRecord> node(int snid) {
        return Optional.ofNullable(nodes.get(snid));
    }

    @Override
    public synchronized void putNode(NodeRecord node) {
        putNodes(List.of(node));
    }

    @Override
    public synchronized void putNodes(List<NodeRecord> records) {
        for (NodeRecord node : records) {
            nodes.put(node.snid(), node);
        }
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (NodeRecord r : nodes.values()) {
            ObjectNode o = a.addObject();
            o.put("snid", Integer.toUnsignedLong(r.snid()));
            o.put("name", r.name());
            o.put("address", r.address());
            o.put("state", r.state().name());
            o.put("ackedVersion", r.ackedVersion());
            o.put("ackError", r.ackError());
            Json.put(o, "lastHeartbeat", r.lastHeartbeat());
            Json.put(o, "certExpiry", r.certExpiry());
            Json.put(o, "joinedAt", r.joinedAt());
        }
        write("nodes.json", a);
    }

    @Override
    public synchronized boolean addAlarm(StoredAlarm alarm) {
        if (alarmLog.alarms().containsKey(alarm.alarm().id())) {
            return false;
        }
        alarmLog.put(alarm);
        return true;
    }

    @Override
    public synchronized boolean updateAlarm(StoredAlarm alarm) {
        if (!alarmLog.alarms().containsKey(alarm.alarm().id())) {
            return false;
        }
        alarmLog.put(alarm);
        return true;
    }

    @Override
    public synchronized List<StoredAlarm> alarms() {
        return List.copyOf(alarmLog.alarms().values());
    }

    @Override
    public synchronized Set<Integer> compromised() {
        return Set.copyOf(compromised);
    }

    @Override
    public synchronized void addCompromised(int snid) {
        if (compromised.add(snid)) {
            ArrayNode a = Json.MAPPER.createArrayNode();
            compromised.forEach(s -> a.add(Integer.toUnsignedLong(s)));
            write("compromised.json", a);
        }
    }

    @Override
    public synchronized void putPolicy(long version, byte[] xml) {
        try {
            SecureFiles.writeAtomic(dir.resolve("policies").resolve(version + ".xml"), xml);
            List<Long> kept = policyVersions();
            for (int i = 0; i < kept.size() - maxPolicies; i++) {
                Files.deleteIfExists(dir.resolve("policies").resolve(kept.get(i) + ".xml"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store policy version " + version + " in " + dir, e);
        }
    }

    @Override
    public synchronized Optional<byte[]> policy(long version) {
        Path f = dir.resolve("policies").resolve(version + ".xml");
        try {
            return Files.exists(f) ? Optional.of(Files.readAllBytes(f)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    @Override
    public synchronized List<Long> policyVersions() {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir.resolve("policies"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+\\.xml"))
                    .forEach(n -> out.add(Long.parseLong(n.substring(0, n.length() - 4))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir.resolve("policies"), e);
        }
        out.sort(null);
        return out;
    }

    private void write(String name, JsonNode n) {
        try {
            SecureFiles.writeAtomic(dir.resolve(name), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
        }
    }

    private JsonNode read(String name) throws IOException {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Json.MAPPER.readTree(f.toFile()) : Json.MAPPER.createArrayNode();
    }

    private void load() throws IOException {
        for (JsonNode o : read("nodes.json")) {
            NodeRecord r = new NodeRecord((int) o.path("snid").asLong(), Json.textOr(o, "name", "?"),
                    Json.textOr(o, "address", ""), NodeState.valueOf(Json.textOr(o, "state", "JOINED")),
                    o.path("ackedVersion").asLong(), Json.textOr(o, "ackError", null), Json.instant(o, "lastHeartbeat"),
                    Json.instant(o, "certExpiry"), Json.instant(o, "joinedAt"));
            nodes.put(r.snid(), r);
        }
        alarmLog = new AlarmLog(dir, maxAlarms);
        for (JsonNode o : read("compromised.json")) {
            compromised.add((int) o.asLong());
        }
        Path keys = dir.resolve(LABEL_KEYS);
        if (Files.exists(keys)) {
            try {
                labelKeys = Json.labelKeys(Json.MAPPER.readTree(keys.toFile()));
            } catch (IOException | RuntimeException e) {
                // never start over silently: new epochs would make every node's keys unusable at once
                throw new IOException("unreadable " + keys + " (label key epochs): " + e.getMessage(), e);
            }
        }
        for (JsonNode o : read("audit-anchors.json")) {
            anchors.put((int) o.path("snid").asLong(), new StoredCheckpoint(
                    org.opendsi.cluster.protocol.AuditCheckpoints.fromJson(o.get("checkpoint")), Json.textOr(o, "signature", ""),
                    Json.instant(o, "receivedAt")));
        }
    }

    @Override
    public synchronized Optional<StoredCheckpoint> auditAnchor(int snid) {
        return Optional.ofNullable(anchors.get(snid));
    }

    @Override
    public synchronized void putAuditAnchor(int snid, StoredCheckpoint c) {
        anchors.put(snid, c);
        ArrayNode a = Json.MAPPER.createArrayNode();
        anchors.forEach((n, s) -> {
            ObjectNode o = a.addObject();
            o.put("snid", Integer.toUnsignedLong(n));
            o.set("checkpoint", org.opendsi.cluster.protocol.AuditCheckpoints.toJson(s.checkpoint()));
            o.put("signature", s.signature());
            Json.put(o, "receivedAt", s.receivedAt());
        });
        write("audit-anchors.json", a);
    }

    @Override
    public synchronized Optional<StoredLabelKeys> labelKeys() {
        return Optional.ofNullable(labelKeys);
    }

    @Override
    public synchronized void putLabelKeys(StoredLabelKeys keys) {
        write(LABEL_KEYS, Json.labelKeys(keys));
        labelKeys = keys;
    }

    private static final String LABEL_KEYS = "label-keys.json";

    /** For tests and listings: when the store was opened. */
    static Instant now() {
        return Instant.now();
    }
}
