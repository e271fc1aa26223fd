package org.opendsi.ss.postgres.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.opendsi.cluster.protocol.AuditCheckpoints;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.ss.StoredCheckpoint;
import org.opendsi.ss.StoredLabelKeys;

/**
 * {@link ServerStore} in PostgreSQL. Reads see what any Security Server committed; writes go through
 * the {@link Fence}, so only the lease holder's land. Alarms are appended (one row each, the alarm id
 * as primary key: the same alarm re-sent after a failover is stored once); a policy version is
 * inserted once and never overwritten.
 */
final class PostgresServerStore implements ServerStore {

    private final Fence fence;
    private final int maxAlarms;
    private final int maxPolicies;

    PostgresServerStore(Fence fence, int maxAlarms, int maxPolicies) {
        this.fence = fence;
        this.maxAlarms = maxAlarms;
        this.maxPolicies = maxPolicies;
    }

    // ---------------------------------------------------------------- nodes

    private static final String NODE_COLUMNS = "snid, name, address, state, acked_version, ack_error, last_heartbeat, cert_expiry, joined_at";

    @Override
    public List<NodeRecord> nodes() {
        return fence.read("the node records", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + NODE_COLUMNS + " FROM ss_node ORDER BY snid")) {
                return nodeRows(p);
            }
        });
    }

    @Override
    public Optional<NodeRecord> node(int snid) {
        return fence.read("node " + Integer.toUnsignedString(snid), c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + NODE_COLUMNS + " FROM ss_node WHERE snid = ?")) {
                p.setLong(1, Integer.toUnsignedLong(snid));
                return nodeRows(p).stream().findFirst();
            }
        });
    }

    private static List<NodeRecord> nodeRows(PreparedStatement p) throws SQLException {
        List<NodeRecord> out = new ArrayList<>();
        try (ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(new NodeRecord((int) r.getLong(1), r.getString(2), r.getString(3), NodeState.valueOf(r.getString(4)),
                        r.getLong(5), r.getString(6), instant(r, 7), instant(r, 8), instant(r, 9)));
            }
        }
        return out;
    }

    @Override
    public void putNode(NodeRecord node) {
        putNodes(List.of(node));
    }

    @Override
    public void putNodes(List<NodeRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        fence.write(records.size() + " node record(s)", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ss_node (" + NODE_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?) "
                    + "ON CONFLICT (snid) DO UPDATE SET name = excluded.name, address = excluded.address, state = excluded.state, "
                    + "acked_version = excluded.acked_version, ack_error = excluded.ack_error, "
                    + "last_heartbeat = excluded.last_heartbeat, cert_expiry = excluded.cert_expiry, joined_at = excluded.joined_at")) {
                for (NodeRecord n : records) {
                    p.setLong(1, Integer.toUnsignedLong(n.snid()));
                    p.setString(2, n.name());
                    p.setString(3, n.address());
                    p.setString(4, n.state().name());
                    p.setLong(5, n.ackedVersion());
                    p.setString(6, n.ackError());
                    timestamp(p, 7, n.lastHeartbeat());
                    timestamp(p, 8, n.certExpiry());
                    timestamp(p, 9, n.joinedAt());
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- alarms

    @Override
    public boolean addAlarm(StoredAlarm alarm) {
        return fence.write("alarm " + alarm.alarm().id(), c -> insertAlarm(c, alarm, maxAlarms));
    }

    /** An alarm of a standby's own node: the same append, without the lease check (see SharedStore#appendAlarm). */
    boolean appendAlarm(StoredAlarm alarm) {
        return fence.writeUnfenced("alarm " + alarm.alarm().id(), c -> insertAlarm(c, alarm, maxAlarms));
    }

    private static boolean insertAlarm(Connection c, StoredAlarm alarm, long maxAlarms) throws SQLException {
        int added;
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO ss_alarm (id, alarm, received_at, acked_at) VALUES (?,?,?,?) ON CONFLICT (id) DO NOTHING")) {
            p.setString(1, alarm.alarm().id());
            p.setString(2, Json.alarm(alarm.alarm()).toString());
            timestamp(p, 3, alarm.receivedAt());
            timestamp(p, 4, alarm.ackedAt());
            added = p.executeUpdate();
        }
        if (added == 1) {
            try (PreparedStatement p = c.prepareStatement(
                    "DELETE FROM ss_alarm WHERE seq <= (SELECT max(seq) FROM ss_alarm) - ?")) {
                p.setLong(1, maxAlarms);
                p.executeUpdate();
            }
        }
        return added == 1;
    }

    @Override
    public List<StoredAlarm> alarms() {
        return fence.read("the alarms", c -> {
            List<StoredAlarm> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT alarm, received_at, acked_at FROM ss_alarm ORDER BY seq");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new StoredAlarm(Json.alarm(parse(r.getString(1))), instant(r, 2), instant(r, 3)));
                }
            }
            return out;
        });
    }

    @Override
    public boolean updateAlarm(StoredAlarm alarm) {
        return fence.write("alarm " + alarm.alarm().id(), c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE ss_alarm SET alarm = ?, received_at = ?, acked_at = ? WHERE id = ?")) {
                p.setString(1, Json.alarm(alarm.alarm()).toString());
                timestamp(p, 2, alarm.receivedAt());
                timestamp(p, 3, alarm.ackedAt());
                p.setString(4, alarm.alarm().id());
                return p.executeUpdate() == 1;
            }
        });
    }

    // ---------------------------------------------------------------- compromised nodes

    @Override
    public Set<Integer> compromised() {
        return fence.read("the compromised nodes", c -> {
            Set<Integer> out = new LinkedHashSet<>();
            try (PreparedStatement p = c.prepareStatement("SELECT snid FROM ss_compromised ORDER BY snid");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add((int) r.getLong(1));
                }
            }
            return Set.copyOf(out);
        });
    }

    @Override
    public void addCompromised(int snid) {
        fence.write("compromised node " + Integer.toUnsignedString(snid), c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ss_compromised (snid) VALUES (?) ON CONFLICT DO NOTHING")) {
                p.setLong(1, Integer.toUnsignedLong(snid));
                p.executeUpdate();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- policies

    /**
     * Inserts the version once. The same source again is a no-op; another source under a version already
     * stored is refused: two servers never publish different policies under one number.
     */
    @Override
    public void putPolicy(long version, byte[] xml) {
        fence.write("policy version " + version, c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ss_policy (version, xml, epoch) "
                    + "SELECT ?, ?, epoch FROM ss_lease WHERE id = 1 ON CONFLICT (version) DO NOTHING")) {
                p.setLong(1, version);
                p.setBytes(2, xml);
                if (p.executeUpdate() == 0) {
                    byte[] stored = policyIn(c, version).orElse(null);
                    if (!Arrays.equals(stored, xml)) {
                        throw new IllegalStateException("policy version " + version
                                + " is already stored with another source (published by another Security Server)");
                    }
                    return null;
                }
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM ss_policy WHERE version NOT IN "
                    + "(SELECT version FROM ss_policy ORDER BY version DESC LIMIT ?)")) {
                p.setInt(1, maxPolicies);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<byte[]> policy(long version) {
        return fence.read("policy version " + version, c -> policyIn(c, version));
    }

    private static Optional<byte[]> policyIn(Connection c, long version) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT xml FROM ss_policy WHERE version = ?")) {
            p.setLong(1, version);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
            }
        }
    }

    @Override
    public List<Long> policyVersions() {
        return fence.read("the policy versions", c -> {
            List<Long> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT version FROM ss_policy ORDER BY version");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getLong(1));
                }
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- audit anchors and label keys

    @Override
    public Optional<StoredCheckpoint> auditAnchor(int snid) {
        return fence.read("the audit anchor of node " + Integer.toUnsignedString(snid), c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT checkpoint, signature, received_at FROM ss_audit_anchor WHERE snid = ?")) {
                p.setLong(1, Integer.toUnsignedLong(snid));
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(new StoredCheckpoint(AuditCheckpoints.fromJson(parse(r.getString(1))),
                            r.getString(2), instant(r, 3))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void putAuditAnchor(int snid, StoredCheckpoint checkpoint) {
        fence.write("the audit anchor of node " + Integer.toUnsignedString(snid), c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ss_audit_anchor (snid, checkpoint, signature, received_at) "
                    + "VALUES (?,?,?,?) ON CONFLICT (snid) DO UPDATE SET checkpoint = excluded.checkpoint, "
                    + "signature = excluded.signature, received_at = excluded.received_at")) {
                p.setLong(1, Integer.toUnsignedLong(snid));
                p.setString(2, AuditCheckpoints.toJson(checkpoint.checkpoint()).toString());
                p.setString(3, checkpoint.signature());
                timestamp(p, 4, checkpoint.receivedAt());
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<StoredLabelKeys> labelKeys() {
        return fence.read("the label key epochs", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT keys FROM ss_label_keys WHERE id = 1");
                 ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(Json.labelKeys(parse(r.getString(1)))) : Optional.empty();
            }
        });
    }

    /** The master secrets are readable by the store's database role only (and its superusers). */
    @Override
    public void putLabelKeys(StoredLabelKeys keys) {
        fence.write("the label key epochs", c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO ss_label_keys (id, keys) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET keys = excluded.keys")) {
                p.setString(1, Json.labelKeys(keys).toString());
                p.executeUpdate();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- conversions

    static Instant instant(ResultSet r, int column) throws SQLException {
        Timestamp t = r.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    static void timestamp(PreparedStatement p, int index, Instant i) throws SQLException {
        if (i == null) {
            p.setNull(index, Types.TIMESTAMP);
        } else {
            p.setTimestamp(index, Timestamp.from(i));
        }
    }

    static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable JSON in the PostgreSQL store", e);
        }
    }
}
