package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.internal.FileServerStore;
import org.opendsi.ss.internal.ServerRuntime;
import org.opendsi.cluster.protocol.AuditCheckpoints;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;

/**
 * A node's audit checkpoints are anchored on the SS, signed with the node's channel key: the SS
 * keeps the newest, tells the node what it keeps (also after a restart, in the HELLO reply), and
 * raises one HIGH alarm when the node's journal goes back or was rewritten.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuditAnchorTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    static AuditCheckpoint cp(long seq, char hash) {
        return new AuditCheckpoint(seq, String.valueOf(hash).repeat(64), 1, Instant.parse("2026-12-04T10:00:00Z"));
    }

    @Test
    void checkpointsAreAnchoredAndAJournalThatWentBackRaisesOneAlarm() throws Exception {
        SccTransport transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        Runtimes.Server server = Runtimes.startServer(tmp.resolve("ss"), transport, closeables, null);
        ServerRuntime ss = server.runtime();
        FileServerStore store = server.store();
        NodeConfig scfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", server);
        ManagerRuntime sm = Runtimes.manager(scfg, transport);
        Runtimes.startAndJoin(sm, scfg, server, closeables);
        NodeKeys keys = Runtimes.field(sm, "keys", NodeKeys.class);
        await("sm2 connected", 10, () -> ss.nodes().stream().anyMatch(r -> r.snid() == 2
                && r.state() == org.opendsi.ss.NodeState.CONNECTED));

        sm.checkpoint(cp(50, 'a'));
        await("the SS anchors record 50", 10, () -> sm.anchored().map(AuditCheckpoint::seq).orElse(0L) == 50);
        assertEquals(Optional.of(cp(50, 'a')), store.auditAnchor(2).map(s -> s.checkpoint()));
        assertTrue(AuditCheckpoints.verified(2, AuditCheckpoints.toJson(cp(50, 'a')).put("signature",
                store.auditAnchor(2).orElseThrow().signature()), keys.channelCertificate().getPublicKey()) != null,
                "the stored signature is the node's");

        // the journal went back (tail cut): one alarm, the anchor stays at 50
        sm.checkpoint(cp(40, 'b'));
        await("the SS raises the alarm", 10, () -> ss.alarms().stream().anyMatch(a -> a.alarm().snid() == 1
                && a.alarm().text().contains("Audit journal of node 2 (sm2) went back: record 50")
                && a.alarm().text().contains("records 41..50 are gone")));
        sm.checkpoint(cp(40, 'b'));
        sm.checkpoint(cp(50, 'c')); // same number, other hash: rewritten
        await("the rewrite is reported", 10, () -> ss.alarms().stream()
                .anyMatch(a -> a.alarm().text().contains("was rewritten: record 50")));
        assertEquals(1, ss.alarms().stream().filter(a -> a.alarm().text().contains("went back")).count());
        assertEquals(50, sm.anchored().orElseThrow().seq());
        assertEquals('a', store.auditAnchor(2).orElseThrow().checkpoint().hash().charAt(0));

        // a restarted manager learns the anchor from the HELLO reply
        sm.close();
        ManagerRuntime again = Runtimes.manager(scfg, transport);
        again.start();
        closeables.add(again);
        await("the anchor comes back with HELLO", 10, () -> again.anchored().map(AuditCheckpoint::seq).orElse(0L) == 50);
    }

    @Test
    void aCheckpointSignedByAnotherKeyIsRefused() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        java.security.KeyPair mine = g.generateKeyPair();
        java.security.KeyPair other = g.generateKeyPair();
        var signed = AuditCheckpoints.signed(2, cp(7, 'd'), mine.getPrivate());
        assertEquals(7, AuditCheckpoints.verified(2, signed, mine.getPublic()).seq());
        assertThrows(IllegalArgumentException.class, () -> AuditCheckpoints.verified(2, signed, other.getPublic()));
        // signed for node 2, presented as node 3
        assertThrows(IllegalArgumentException.class, () -> AuditCheckpoints.verified(3, signed, mine.getPublic()));
    }
}
