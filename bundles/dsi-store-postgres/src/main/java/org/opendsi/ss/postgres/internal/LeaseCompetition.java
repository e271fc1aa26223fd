package org.opendsi.ss.postgres.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.SharedStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Competes for the single lease row of {@code ss_lease}. Acquiring, renewing and taking over an expired
 * lease are one statement, timed by the database's clock, so the servers' clocks do not matter: the
 * epoch grows by one whenever the holder changes. This process counts itself active only until its
 * own monotonic clock says the lease may have run out (measured from the start of the renewal that
 * granted it, minus a margin), so a leader paused or cut off from the database stops acting before
 * anyone can take over; its writes are fenced by the epoch anyway ({@link Fence}).
 */
class LeaseCompetition implements SharedStore.Leadership {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseCompetition.class);

    /** Takes the lease when free or expired, renews it when ours: one row back means we hold it. */
    static final String ACQUIRE = """
            UPDATE ss_lease
               SET epoch = CASE WHEN holder = ? AND expires_at >= now() THEN epoch ELSE epoch + 1 END,
                   holder = ?, holder_address = ?,
                   expires_at = now() + make_interval(secs => ?)
             WHERE id = 1 AND (expires_at < now() OR holder = ?)
            RETURNING epoch, expires_at""";
    static final String READ = "SELECT holder, holder_address, epoch, expires_at, expires_at > now() FROM ss_lease WHERE id = 1";
    static final String RELEASE = "UPDATE ss_lease SET expires_at = '-infinity' WHERE id = 1 AND holder = ? AND epoch = ?";

    private final DataSource dataSource;
    private final String holder;
    private final String address;
    private final Duration ttl;
    private final Duration renewEvery;
    private final Duration margin;
    private final Consumer<LeaseStatus> onChange;
    private final ScheduledExecutorService executor;
    private volatile LeaseStatus status;
    /** System.nanoTime() until which this process may act as the holder; meaningful while active. */
    private volatile long validUntilNanos;

    LeaseCompetition(DataSource dataSource, String name, String address, Duration ttl, Consumer<LeaseStatus> onChange) {
        this.dataSource = dataSource;
        this.holder = name + "#" + UUID.randomUUID().toString().substring(0, 8);
        this.address = address == null ? "" : address;
        this.ttl = ttl;
        this.renewEvery = ttl.dividedBy(5);
        this.margin = ttl.dividedBy(5);
        this.onChange = onChange;
        this.status = new LeaseStatus(false, "", "", 0, null, null);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsi-ss-lease");
            t.setDaemon(true);
            return t;
        });
    }

    String holder() {
        return holder;
    }

    void start() {
        executor.scheduleWithFixedDelay(this::attempt, 0, renewEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One acquire-or-renew round; also steps down when the lease can no longer be trusted locally. */
    void attempt() {
        long started = System.nanoTime();
        LeaseStatus next;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                // a write holding the lease row FOR SHARE delays a takeover; never wait past the lease
                s.execute("SET lock_timeout = " + Math.max(50, margin.toMillis()));
            }
            next = tryAcquire(c, started);
            if (next == null) {
                next = read(c);
            }
        } catch (SQLException | RuntimeException e) {
            LeaseStatus prev = status;
            boolean stillValid = prev.active() && System.nanoTime() < validUntilNanos;
            next = new LeaseStatus(stillValid, prev.holder(), prev.holderAddress(), prev.epoch(), prev.expiresAt(),
                    Objects.toString(e.getMessage(), e.toString()));
        }
        publish(next);
    }

    private LeaseStatus tryAcquire(Connection c, long started) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(ACQUIRE)) {
            p.setString(1, holder);
            p.setString(2, holder);
            p.setString(3, address);
            p.setDouble(4, ttl.toMillis() / 1000.0);
            p.setString(5, holder);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                validUntilNanos = started + ttl.minus(margin).toNanos();
                return new LeaseStatus(true, holder, address, r.getLong(1), r.getTimestamp(2).toInstant(), null);
            }
        }
    }

    /** The lease row as a standby sees it: the holder only while its lease runs. */
    static LeaseStatus read(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(READ)) {
            if (!r.next()) {
                throw new SQLException("the lease row is missing from ss_lease (schema not migrated?)");
            }
            boolean live = r.getBoolean(5);
            Instant expires = live ? r.getTimestamp(4).toInstant() : null;
            return new LeaseStatus(false, live ? r.getString(1) : "", live ? r.getString(2) : "", r.getLong(3), expires,
                    null);
        }
    }

    private void publish(LeaseStatus next) {
        LeaseStatus prev = status;
        status = next;
        if (prev.active() != next.active() || prev.epoch() != next.epoch() && next.active()) {
            if (next.active()) {
                LOG.info("Security Server lease taken by {} at epoch {}", holder, next.epoch());
            } else {
                LOG.warn("Security Server {} is no longer active (holder now: {}, epoch {}{})", holder,
                        next.describeHolder(), next.epoch(), next.storeError() == null ? "" : "; store: " + next.storeError());
            }
            try {
                onChange.accept(next);
            } catch (RuntimeException e) {
                LOG.error("Security Server: reacting to the lease change failed", e);
            }
        }
    }

    /** Stops renewing without giving the lease up, as a paused or cut-off process does (tests). */
    void pauseForTest() {
        executor.shutdownNow();
    }

    /** Called by a fenced write that found the lease gone: step down now rather than at the next round. */
    void lost() {
        if (!executor.isShutdown()) {
            executor.execute(this::attempt);
        }
    }

    @Override
    public LeaseStatus status() {
        return status;
    }

    @Override
    public boolean holdsNow() {
        return status.active() && System.nanoTime() < validUntilNanos;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LeaseStatus s = status;
        if (s.active()) {
            try (Connection c = dataSource.getConnection(); PreparedStatement p = c.prepareStatement(RELEASE)) {
                p.setString(1, holder);
                p.setLong(2, s.epoch());
                p.executeUpdate();
                LOG.info("Security Server lease released by {} (epoch {})", holder, s.epoch());
            } catch (SQLException e) {
                LOG.warn("Security Server lease not released (it runs out by itself): {}", e.getMessage());
            }
        }
        status = new LeaseStatus(false, "", "", s.epoch(), null, null);
    }
}
