package org.opendsi.ss.postgres.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLReason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.keys.CaStateStore;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.IssuedCertificate;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.NotActiveException;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.ss.StoredCheckpoint;
import org.opendsi.ss.StoredLabelKeys;

/** The Security Server's whole state through the PostgreSQL store, on a real server; schema by Liquibase. */
class PostgresStoreTest {

    static TestPostgres postgres;
    DataSource ds;
    PostgresSharedStore shared;
    ServerStore store;
    CaStateStore ca;
    SharedStore.Leadership lease;

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
    void activeStore() throws Exception {
        ds = postgres.newDatabase();
        SchemaMigrations.migrate(ds);
        shared = new PostgresSharedStore(ds, "test", Duration.ofSeconds(5), 3, 2);
        BlockingQueue<LeaseStatus> q = new LinkedBlockingQueue<>();
        lease = shared.lead("ss-a", "", q::add);
        LeaseStatus s = q.poll(5, TimeUnit.SECONDS);
        assertTrue(s != null && s.active());
        store = shared.serverStore();
        ca = shared.caState();
    }

    @AfterEach
    void release() {
        lease.close();
    }

    static Instant t(int s) {
        return Instant.parse("2026-12-05T10:00:00Z").plusSeconds(s);
    }

    @Test
    void migrationsRunOnceAndTheHealthNamesTheNewest() throws Exception {
        SchemaMigrations.migrate(ds); // a second server starting: nothing to do, nothing broken
        var h = shared.health();
        assertTrue(h.reachable());
        assertEquals("5-servers", h.schemaVersion());
        assertEquals("root-a", shared.bindRoot("root-a"));
        assertEquals("root-a", shared.bindRoot("root-b"), "the first root recorded stays the cluster's");
    }

    @Test
    void everyServerReportsItselfAStandbyToo() throws Exception {
        // a second server on the same database, a standby: it may report itself, nothing more
        PostgresSharedStore other = new PostgresSharedStore(ds, "test", Duration.ofSeconds(5), 3, 2);
        BlockingQueue<LeaseStatus> q = new LinkedBlockingQueue<>();
        try (SharedStore.Leadership standby = other.lead("ss-b", "", q::add)) {
            shared.report(ServerPeer.self(1, "ss-a", 0, List.of(), null));
            other.report(ServerPeer.self(0xFFFFFFF9, "ss-b", 3, List.of(3, 4), "no DSM on this node"));
            assertThrows(NotActiveException.class, () -> other.serverStore().addCompromised(7),
                    "a standby writes its report and its node's alarms, nothing else");
            StoredAlarm own = LeaseFencingTest.alarm("standby-1");
            assertTrue(other.appendAlarm(own));
            assertFalse(other.appendAlarm(own), "an alarm added twice is stored once");
            assertEquals(List.of("standby-1"), store.alarms().stream().map(a -> a.alarm().id()).toList());
            List<ServerPeer> all = shared.servers();
            assertEquals(List.of(1, 0xFFFFFFF9), all.stream().map(ServerPeer::snid).toList());
            ServerPeer b = all.get(1);
            assertEquals(List.of("ss-b", 3, List.of(3, 4), "no DSM on this node", true),
                    List.of(b.name(), b.labelSendEpoch(), b.labelEpochs(), b.labelError(), b.live()));
            // a report replaces the previous one
            other.report(ServerPeer.self(0xFFFFFFF9, "ss-b", 4, List.of(4), null));
            b = other.servers().get(1);
            assertEquals(List.of(4, List.of(4)), List.of(b.labelSendEpoch(), b.labelEpochs()));
            assertEquals(null, b.labelError());
            // a server that stopped reporting stays listed (its node keeps its pairs) but is no longer live
            try (var c = ds.getConnection(); var st = c.createStatement()) {
                st.executeUpdate("UPDATE ss_server SET reported_at = now() - interval '"
                        + (SharedStore.LIVE_SECONDS + 1) + " seconds' WHERE name = 'ss-b'");
            }
            assertEquals(List.of(true, false), shared.servers().stream().map(ServerPeer::live).toList());
        }
    }

    @Test
    void nodesRoundTripAndABurstIsOneWrite() {
        NodeRecord n2 = new NodeRecord(2, "sm2", "10.0.0.2", NodeState.CONNECTED, 4, null, t(1), t(100), t(0));
        NodeRecord big = new NodeRecord(0xFFFFFFF0, "big", "10.0.0.9", NodeState.JOINED, 0, "bad policy", null, null, t(2));
        store.putNodes(List.of(n2, big));
        assertEquals(Optional.of(n2), store.node(2));
        assertEquals(Optional.of(big), store.node(0xFFFFFFF0));
        store.putNode(new NodeRecord(2, "sm2", "10.0.0.2", NodeState.DISCONNECTED, 5, null, t(3), t(100), t(0)));
        assertEquals(5, store.node(2).orElseThrow().ackedVersion());
        assertEquals(2, store.nodes().size());
    }

    @Test
    void alarmsAppendOnceEachAndTheOldestGo() {
        assertTrue(store.addAlarm(LeaseFencingTest.alarm("x-1")));
        assertFalse(store.addAlarm(LeaseFencingTest.alarm("x-1")), "the same alarm re-sent is stored once");
        for (int i = 2; i <= 5; i++) {
            assertTrue(store.addAlarm(LeaseFencingTest.alarm("x-" + i)));
        }
        assertEquals(List.of("x-3", "x-4", "x-5"), store.alarms().stream().map(a -> a.alarm().id()).toList());
        StoredAlarm acked = new StoredAlarm(store.alarms().get(0).alarm(), store.alarms().get(0).receivedAt(), t(9));
        assertTrue(store.updateAlarm(acked));
        assertEquals(t(9), store.alarms().get(0).ackedAt());
        assertFalse(store.updateAlarm(LeaseFencingTest.alarm("never")));
    }

    @Test
    void aPolicyVersionIsWrittenOnceAndNeverReplaced() {
        byte[] v1 = "<dsp name='one'/>".getBytes(StandardCharsets.UTF_8);
        byte[] v2 = "<dsp name='two'/>".getBytes(StandardCharsets.UTF_8);
        store.putPolicy(1, v1);
        store.putPolicy(1, v1); // the same again: fine
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.putPolicy(1, v2));
        assertTrue(e.getMessage().contains("already stored with another source"), e.getMessage());
        store.putPolicy(2, v2);
        store.putPolicy(3, v1);
        assertEquals(List.of(2L, 3L), store.policyVersions(), "keeps the newest 2");
        assertArrayEquals(v2, store.policy(2).orElseThrow());
        assertTrue(store.policy(1).isEmpty());
    }

    @Test
    void compromisedAnchorsAndLabelKeysRoundTrip() {
        store.addCompromised(3);
        store.addCompromised(3);
        assertEquals(java.util.Set.of(3), store.compromised());
        StoredCheckpoint cp = new StoredCheckpoint(new AuditCheckpoint(42, "ab".repeat(32), 1, t(5)), "sig", t(6));
        store.putAuditAnchor(2, cp);
        assertEquals(Optional.of(cp), store.auditAnchor(2));
        byte[] master = new byte[32];
        master[31] = 7;
        StoredLabelKeys keys = new StoredLabelKeys(2, 2, List.of(new StoredLabelKeys.Epoch(1, t(0), new byte[32]),
                new StoredLabelKeys.Epoch(2, t(1), master)));
        store.putLabelKeys(keys);
        StoredLabelKeys back = store.labelKeys().orElseThrow();
        assertEquals(2, back.sendEpoch());
        assertArrayEquals(master, back.epochs().get(1).master());
    }

    @Test
    void aJoinTokenIsRedeemedOnceWhateverTheRace() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        ca.putToken(new CaStateStore.TokenRecord("ab".repeat(32), "sm2", 2, false, now, now.plusSeconds(600), null));
        assertThrows(IllegalStateException.class,
                () -> ca.putToken(new CaStateStore.TokenRecord("ab".repeat(32), "x", 9, false, now, now, null)));
        // 16 concurrent redemptions (as from several Security Servers): the database admits one
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                tries.add(() -> ca.markRedeemed("ab".repeat(32), Instant.now()));
            }
            int won = 0;
            for (Future<Boolean> f : pool.invokeAll(tries)) {
                won += f.get() ? 1 : 0;
            }
            assertEquals(1, won);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(ca.token("ab".repeat(32)).orElseThrow().redeemed());
        assertFalse(ca.markRedeemed("cd".repeat(32), now), "an unknown token is not redeemed");
        // the expiry is part of the redemption: a token that ran out after the caller's check stays unused
        ca.putToken(new CaStateStore.TokenRecord("ef".repeat(32), "sm3", 3, false, now, now.plusSeconds(60), null));
        assertFalse(ca.markRedeemed("ef".repeat(32), now.plusSeconds(60)), "expired at that instant");
        assertFalse(ca.token("ef".repeat(32)).orElseThrow().redeemed());
        assertTrue(ca.markRedeemed("ef".repeat(32), now.plusSeconds(59)));
        ca.purgeTokens(now.plusSeconds(601));
        assertTrue(ca.tokens().isEmpty());
    }

    @Test
    void issuedCertificatesRevocationsAndCrlNumbers() {
        IssuedCertificate c = new IssuedCertificate(new BigInteger("7fa3c0ffee", 16), CertificateRole.NODE_CA, 2, "sm2",
                t(0), t(3600), null, null);
        ca.addIssued(c);
        assertThrows(IllegalStateException.class, () -> ca.addIssued(c));
        assertTrue(ca.markRevoked(c.serial(), t(10), CRLReason.KEY_COMPROMISE));
        assertFalse(ca.markRevoked(c.serial(), t(11), CRLReason.KEY_COMPROMISE), "revoked once");
        IssuedCertificate back = ca.issued(c.serial()).orElseThrow();
        assertEquals(t(10), back.revokedAt());
        assertEquals(CRLReason.KEY_COMPROMISE, back.reason());
        assertEquals(List.of(back), ca.issued());
        assertEquals(BigInteger.ONE, ca.nextCrlNumber());
        assertEquals(BigInteger.TWO, ca.nextCrlNumber());
        assertTrue(ca.putCrl(BigInteger.TWO, "PEM-2"));
        assertFalse(ca.putCrl(BigInteger.ONE, "PEM-1"), "an older CRL never replaces a newer one");
        assertEquals(Optional.of("PEM-2"), ca.crl());
    }
}
