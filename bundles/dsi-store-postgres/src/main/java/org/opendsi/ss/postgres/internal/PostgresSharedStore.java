package org.opendsi.ss.postgres.internal;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.opendsi.keys.CaStateStore;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;

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
    public StoreHealth health() {
        Instant now = Instant.now();
        try (Connection c = dataSource.getConnection()) {
            return new StoreHealth("postgresql", location, true, SchemaMigrations.version(c), now, null);
        } catch (Exception e) {
            return new StoreHealth("postgresql", location, false, "", now, Objects.toString(e.getMessage(), e.toString()));
        }
    }
}
