package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.await;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.DenialDigest;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.internal.ServerRuntime;

/**
 * Managers send what their auditing denied to the Security Server's view over the SCC: per flow,
 * attributed to the node of the channel, within a second; a malformed report is dropped and the node
 * stays connected.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DenialReportTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    static AuditRecord deny(long seq, int srcScid, int srcSnid, int tgtScid, int tgtSnid, long suppressed) {
        return new AuditRecord(seq, Instant.now(), AuditRecord.TYPE_DENY, "munster", "receive", srcScid, srcSnid,
                tgtScid, tgtSnid, 7, 31, "zone phonemania -/-> ringbell", 3, 4242, "quote", "", "udp",
                "10.77.0.1", 40000, "10.77.0.2", 9001, suppressed,
                "context " + srcScid + " on node " + srcSnid + " was denied receive to context " + tgtScid, "", "");
    }

    @Test
    void aManagersDenialsReachTheViewAttributedToItsChannel() throws Exception {
        SccTransport transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        Runtimes.Server server = Runtimes.startServer(tmp.resolve("ss"), transport, closeables, null);
        ServerRuntime ss = server.runtime();
        NodeConfig cfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", server);
        ManagerRuntime sm = Runtimes.manager(cfg, transport);
        DenialDigest digest = new DenialDigest();
        sm.denials(digest);
        Runtimes.startAndJoin(sm, cfg, server, closeables);
        await("sm2 connected", 10, () -> ss.nodes().stream().anyMatch(r -> r.snid() == 2
                && r.state() == NodeState.CONNECTED));
        List<List<DenialFlow>> pushed = new CopyOnWriteArrayList<>();
        closeables.add(ss.followDenials(pushed::add));

        long t0 = System.nanoTime();
        digest.add(deny(1, 10, 1, 20, 2, 0));
        digest.add(deny(2, 10, 1, 20, 2, 9));   // stands for 9 more the DSM rate-limited
        digest.add(deny(3, 0, 0, 20, 2, 0));
        await("the view has both flows", 5, () -> ss.denials(null).size() == 2);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 2, "reached the SS in " + seconds + " s");
        DenialFlow phonemania = ss.denials(null).stream().filter(f -> f.srcScid() == 10).findFirst().orElseThrow();
        assertEquals(2, phonemania.reporter(), "attributed to the channel's node");
        assertEquals(11, phonemania.count());
        assertEquals("zone phonemania -/-> ringbell", phonemania.ruleLabel());
        assertEquals(2, phonemania.latest().size());
        assertEquals(2, phonemania.latest().get(1).seq());
        assertEquals(4242, phonemania.latest().get(1).pid());
        assertTrue(pushed.stream().flatMap(List::stream).anyMatch(f -> f.srcScid() == 0 && f.count() == 1),
                "followers got the batch");

        // a malformed report (not a denial) is dropped; the node stays connected and is heard after it
        SccClient client = Runtimes.field(sm, "client", SccClient.class);
        var bad = Json.object();
        bad.putArray("flows").addObject().put("type", "POLICY_LOADED").put("count", 5);
        client.publish(ClusterTopics.DENIALS, bad, SccPriority.BULK).get(5, TimeUnit.SECONDS);
        digest.add(deny(4, 10, 1, 20, 2, 0));
        await("the next report counts", 5, () -> ss.denials(null).stream()
                .anyMatch(f -> f.srcScid() == 10 && f.count() == 12));
        assertEquals(2, ss.denials(null).size(), "nothing of the malformed report");
        assertTrue(ss.nodes().stream().anyMatch(r -> r.snid() == 2 && r.state() == NodeState.CONNECTED));
        assertEquals(List.of(), ss.denials(Instant.now().plusSeconds(2)), "nothing arrived after now");
    }
}
