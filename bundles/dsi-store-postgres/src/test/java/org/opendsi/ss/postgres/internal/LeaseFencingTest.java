package org.opendsi.ss.postgres.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NotActiveException;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoredAlarm;

/**
 * Two Security Servers' stores on one real PostgreSQL: one active through the lease, the other refused
 * every write naming it; a paused or killed leader loses the lease to the standby after the lease time
 * and its late writes are fenced out by the epoch, whatever it still believes.
 */
class LeaseFencingTest {

    static final Duration LEASE = Duration.ofMillis(900);
    static TestPostgres postgres;
    DataSource ds;
    final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TestPostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void database() throws Exception {
        ds = postgres.newDatabase();
        SchemaMigrations.migrate(ds);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    PostgresSharedStore store() {
        return new PostgresSharedStore(ds, "test", LEASE, 1000, 10);
    }

    SharedStore.Leadership lead(SharedStore store, String name, BlockingQueue<LeaseStatus> changes) {
        SharedStore.Leadership l = store.lead(name, name + ":8843", changes::add);
        open.add(l);
        return l;
    }

    static LeaseStatus next(BlockingQueue<LeaseStatus> q, Duration within) throws InterruptedException {
        LeaseStatus s = q.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (s == null) {
            throw new AssertionError("no lease change within " + within);
        }
        return s;
    }

    static StoredAlarm alarm(String id) {
        return new StoredAlarm(new Alarm(id, AlarmPriority.HIGH, 2, "sm2", Instant.now(), "test", "alarm " + id),
                Instant.now(), null);
    }

    @Test
    void oneIsActiveTheOtherRefusesWritesNamingIt() throws Exception {
        PostgresSharedStore a = store();
        PostgresSharedStore b = store();
        BlockingQueue<LeaseStatus> qa = new LinkedBlockingQueue<>();
        BlockingQueue<LeaseStatus> qb = new LinkedBlockingQueue<>();
        SharedStore.Leadership la = lead(a, "ss-a", qa);
        LeaseStatus sa = next(qa, Duration.ofSeconds(5));
        assertTrue(sa.active());
        assertEquals(1, sa.epoch());
        SharedStore.Leadership lb = lead(b, "ss-b", qb);
        Thread.sleep(LEASE.toMillis());
        assertFalse(lb.status().active(), "two active servers");
        assertTrue(lb.status().holder().startsWith("ss-a#"), lb.status().toString());

        assertTrue(a.serverStore().addAlarm(alarm("a-1")));
        NotActiveException refused = assertThrows(NotActiveException.class, () -> b.serverStore().addAlarm(alarm("b-1")));
        assertTrue(refused.getMessage().contains("standby") && refused.getMessage().contains("ss-a#")
                && refused.getMessage().contains("ss-a:8843"), refused.getMessage());
        assertThrows(NotActiveException.class, () -> b.caState().nextCrlNumber());
        // the standby reads what the active one wrote
        assertEquals(List.of("a-1"), b.serverStore().alarms().stream().map(s -> s.alarm().id()).toList());
        assertTrue(la.holdsNow());
    }

    @Test
    void aPausedLeaderIsFencedOutAndTheStandbyTakesOver() throws Exception {
        PostgresSharedStore a = store();
        PostgresSharedStore b = store();
        BlockingQueue<LeaseStatus> qa = new LinkedBlockingQueue<>();
        BlockingQueue<LeaseStatus> qb = new LinkedBlockingQueue<>();
        LeaseCompetition la = (LeaseCompetition) lead(a, "ss-a", qa);
        assertTrue(next(qa, Duration.ofSeconds(5)).active());
        lead(b, "ss-b", qb);
        // a stops renewing (a GC pause, SIGSTOP, a cut cable) but still believes it leads
        la.pauseForTest();
        long paused = System.nanoTime();
        LeaseStatus sb = next(qb, Duration.ofSeconds(5));
        double takeover = (System.nanoTime() - paused) / 1e9;
        assertTrue(sb.active());
        assertEquals(2, sb.epoch());
        assertTrue(takeover < LEASE.toMillis() / 1000.0 + 1.0, "takeover took " + takeover + " s");
        assertTrue(la.status().active(), "the paused leader's own view is stale, as a paused process's is");
        assertFalse(la.holdsNow(), "but its monotonic clock says the lease may be gone: it must not sign");

        NotActiveException fenced = assertThrows(NotActiveException.class, () -> a.serverStore().addAlarm(alarm("late")));
        assertTrue(fenced.getMessage().contains("fenced") && fenced.getMessage().contains("ss-b#"), fenced.getMessage());
        assertTrue(b.serverStore().addAlarm(alarm("b-1")));
        assertEquals(List.of("b-1"), b.serverStore().alarms().stream().map(s -> s.alarm().id()).toList());
    }

    @Test
    void closingHandsTheLeaseOverAtOnce() throws Exception {
        PostgresSharedStore a = store();
        PostgresSharedStore b = store();
        BlockingQueue<LeaseStatus> qa = new LinkedBlockingQueue<>();
        BlockingQueue<LeaseStatus> qb = new LinkedBlockingQueue<>();
        SharedStore.Leadership la = lead(a, "ss-a", qa);
        assertTrue(next(qa, Duration.ofSeconds(5)).active());
        lead(b, "ss-b", qb);
        la.close();
        long closed = System.nanoTime();
        assertTrue(next(qb, Duration.ofSeconds(5)).active());
        // released, not expired: the standby's next round (every lease/5) takes it
        assertTrue(System.nanoTime() - closed < LEASE.toNanos(), "took longer than a lease time");
    }

    @Test
    void aWriteInProgressHoldsOffTheTakeoverUntilItCommits() throws Exception {
        PostgresSharedStore a = store();
        PostgresSharedStore b = store();
        BlockingQueue<LeaseStatus> qa = new LinkedBlockingQueue<>();
        BlockingQueue<LeaseStatus> qb = new LinkedBlockingQueue<>();
        LeaseCompetition la = (LeaseCompetition) lead(a, "ss-a", qa);
        assertTrue(next(qa, Duration.ofSeconds(5)).active());
        // at the moment b becomes active, what does the store hold?
        BlockingQueue<Integer> seenAtTakeover = new LinkedBlockingQueue<>();
        open.add(b.lead("ss-b", "ss-b:8843", s -> {
            qb.add(s);
            if (s.active()) {
                TestPostgres.quietly(() -> {
                    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                         var r = st.executeQuery("SELECT count(*) FROM ss_compromised")) {
                        r.next();
                        seenAtTakeover.add(r.getInt(1));
                    }
                });
            }
        }));
        Fence fence = new Fence(ds, () -> la);
        // a slow write that outlives the lease: checked at epoch 1, committed 2 lease times later
        Thread writer = new Thread(() -> fence.write("slow", c -> {
            la.pauseForTest();
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_sleep(" + LEASE.toMillis() * 2 / 1000.0 + ")");
                s.execute("INSERT INTO ss_compromised (snid) VALUES (7)");
            }
            return null;
        }));
        writer.start();
        LeaseStatus sb = next(qb, Duration.ofSeconds(10));
        writer.join();
        assertTrue(sb.active());
        // when b became active, a's write was committed already (the takeover waited for it): nothing of
        // epoch 1 can land after epoch 2 began
        assertEquals(1, seenAtTakeover.poll(5, TimeUnit.SECONDS));
        assertEquals(java.util.Set.of(7), b.serverStore().compromised());
    }

    @Test
    void aDatabaseOutageStepsTheLeaderDownAndTheLeaseComesBackWithoutAnyone() throws Exception {
        PostgresSharedStore a = store();
        BlockingQueue<LeaseStatus> qa = new LinkedBlockingQueue<>();
        SharedStore.Leadership la = lead(a, "ss-a", qa);
        assertTrue(next(qa, Duration.ofSeconds(5)).active());
        Thread outage = new Thread(() -> TestPostgres.quietlyIo(() -> postgres.restart(3))); // 3 lease times down
        outage.start();
        LeaseStatus down = next(qa, Duration.ofSeconds(10));
        assertFalse(down.active(), "a leader that cannot renew stops acting before its lease can have run out");
        assertTrue(down.storeError() != null, down.toString());
        assertFalse(la.holdsNow(), "and does not sign meanwhile");
        assertThrows(NotActiveException.class, () -> a.serverStore().addAlarm(alarm("during")));
        outage.join();
        LeaseStatus back = next(qa, Duration.ofSeconds(20));
        assertTrue(back.active(), "leads again once the database is back: " + back);
        assertEquals(2, back.epoch(), "a new epoch: whatever was in flight under the old one is fenced");
        assertTrue(a.serverStore().addAlarm(alarm("after")));
    }
}
