package org.opendsi.ss.postgres.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NotActiveException;

/**
 * Runs reads and fenced writes on the store. A write's transaction first locks the lease row
 * {@code FOR SHARE} where it still names this holder at this epoch and has not expired: a takeover
 * (an UPDATE of that row) then waits for the write to commit, so every committed write happened
 * entirely under the lease it checked. No row back: the write is refused and the leader steps down.
 */
final class Fence {

    static final String CHECK = "SELECT 1 FROM ss_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > now() FOR SHARE";

    /** Work inside one transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** The lease this process holds, or null outside a competition (then writes are refused). */
    private final Supplier<LeaseCompetition> lease;
    private final DataSource dataSource;

    Fence(DataSource dataSource, Supplier<LeaseCompetition> lease) {
        this.dataSource = dataSource;
        this.lease = lease;
    }

    <T> T read(String what, Work<T> work) {
        return unchecked("read " + what + " from", work);
    }

    /** A write any server may make, standby or not (its report, its node's alarms): no lease check. */
    <T> T writeUnfenced(String what, Work<T> work) {
        return unchecked("write " + what + " to", work);
    }

    private <T> T unchecked(String action, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException("cannot " + action + " the PostgreSQL store: " + e.getMessage(), e);
        }
    }

    <T> T write(String what, Work<T> work) {
        LeaseCompetition l = lease.get();
        LeaseStatus s = l == null ? new LeaseStatus(false, "", "", 0, null, null) : l.status();
        if (l == null || !s.active()) {
            throw new NotActiveException("cannot write " + what, s);
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (Statement st = c.createStatement()) {
                    // bounds how long a write can hold the lease row (and so delay a takeover)
                    st.execute("SET LOCAL statement_timeout = 5000");
                }
                try (PreparedStatement p = c.prepareStatement(CHECK)) {
                    p.setString(1, l.holder());
                    p.setLong(2, s.epoch());
                    try (ResultSet r = p.executeQuery()) {
                        if (!r.next()) {
                            c.rollback();
                            l.lost();
                            throw new NotActiveException("cannot write " + what + " (fenced: the lease of epoch "
                                    + s.epoch() + " is no longer this server's)", readLease(l));
                        }
                    }
                }
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot write " + what + " to the PostgreSQL store: " + e.getMessage(), e);
        }
    }

    /** Who holds the lease now, for the refusal's message (the holder as the competition reads it). */
    private LeaseStatus readLease(LeaseCompetition l) {
        try (Connection c = dataSource.getConnection()) {
            return LeaseCompetition.read(c);
        } catch (SQLException e) {
            return new LeaseStatus(false, "", "", l.status().epoch(), null, e.getMessage());
        }
    }

    /** The store could not be used (the database is down, a constraint was violated unexpectedly). */
    static final class StoreException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
