package org.opendsi.ss.postgres.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import org.opendsi.keys.CaStateStore;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;
import org.opendsi.ss.StoredAlarm;

/** The {@link SharedStore} on one PostgreSQL database: state, CA state and the lease, all fenced alike. */
final class PostgresSharedStore implements SharedStore {

    private final DataSource dataSource;
    private final String location;
    private final Duration leaseTime;
    private final Fence fence;
    private final PostgresServerStore serverStore;
    private final PostgresCaState caState;
    private volatile LeaseCompetition lease;

    PostgresSharedStore(DataSource dataSource, String location, Duration leaseTime, int maxAlarms, int maxPolicies) {
        this.dataSource = dataSource;
        this.location = location;
        this.leaseTime = leaseTime;
        this.fence = new Fence(dataSource, () -> lease);
        this.serverStore = new PostgresServerStore(fence, maxAlarms, maxPolicies);
        this.caState = new PostgresCaState(fence);
    }

    @Override
    public ServerStore serverStore() {
        return serverStore;
    }

    @Override
    public CaStateStore caState() {
        return caState;
    }

    @Override
    public synchronized Leadership lead(String name, String address, Consumer<LeaseStatus> onChange) {
        LeaseCompetition current = lease;
        if (current != null) {
            throw new IllegalStateException("this store already competes for the lease as " + current.holder());
        }
        LeaseCompetition l = new LeaseCompetition(dataSource, name, address, leaseTime, onChange) {
            @Override
            public void close() {
                super.close();
                synchronized (PostgresSharedStore.this) {
                    if (lease == this) {
                        lease = null;
                    }
                }
            }
        };
        lease = l;
        l.start();
        return l;
    }

    @Override
    public String bindRoot(String rootFingerprint) {
        return fence.write("the cluster's root CA", c -> {
            try (java.sql.PreparedStatement p = c.prepareStatement(
                    "INSERT INTO ss_cluster (id, root_fingerprint) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
                p.setString(1, rootFingerprint);
                p.executeUpdate();
            }
            try (java.sql.PreparedStatement p = c.prepareStatement("SELECT root_fingerprint FROM ss_cluster WHERE id = 1");
                 java.sql.ResultSet r = p.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        });
    }

    @Override
    public void report(ServerPeer self) {
        fence.writeUnfenced("this server's report", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ss_server (snid, name, label_send_epoch, "
                    + "label_epochs, label_error, reported_at) VALUES (?, ?, ?, ?, ?, now()) ON CONFLICT (snid) DO UPDATE "
                    + "SET name = EXCLUDED.name, label_send_epoch = EXCLUDED.label_send_epoch, label_epochs = "
                    + "EXCLUDED.label_epochs, label_error = EXCLUDED.label_error, reported_at = EXCLUDED.reported_at")) {
                p.setLong(1, Integer.toUnsignedLong(self.snid()));
                p.setString(2, self.name());
                p.setInt(3, self.labelSendEpoch());
                p.setString(4, self.labelEpochs().stream().map(String::valueOf).collect(Collectors.joining(",")));
                p.setString(5, self.labelError());
                return p.executeUpdate();
            }
        });
    }

    @Override
    public List<ServerPeer> servers() {
        return fence.read("the Security Servers", c -> {
            List<ServerPeer> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT snid, name, label_send_epoch, label_epochs, "
                    + "label_error, reported_at, reported_at > now() - make_interval(secs => ?) FROM ss_server ORDER BY snid")) {
                p.setInt(1, LIVE_SECONDS);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        String epochs = r.getString(4);
                        out.add(new ServerPeer((int) r.getLong(1), r.getString(2), r.getInt(3), epochs.isEmpty()
                                ? List.of() : Arrays.stream(epochs.split(",")).map(Integer::valueOf).toList(),
                                r.getString(5), r.getTimestamp(6).toInstant(), r.getBoolean(7)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public boolean appendAlarm(StoredAlarm alarm) {
        return serverStore.appendAlarm(alarm);
    }

    @Override
    public StoreHealth health() {
        Instant now = Instant.now();
        try (Connection c = dataSource.getConnection()) {
            return new StoreHealth("postgresql", location, true, SchemaMigrations.version(c), now, null);
        } catch (Exception e) {
            return new StoreHealth("postgresql", location, false, "", now, Objects.toString(e.getMessage(), e.toString()));
        }
    }
}
