package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.internal.FileServerStore;
import org.opendsi.ss.internal.ServerRuntime;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;

/**
 * Revocation is hard on a node: with no current root CRL it refuses the Security Server's
 * certificate and signed policies. It gets a current CRL from the join endpoint (signed by the root,
 * so that connection need not be trusted); while it cannot, it stays away from the SS, keeps
 * enforcing its last good policy and raises one alarm, delivered once it is back. CRLs here live
 * 4 s and the SS pushes none on its own in that time (its housekeeping runs hourly).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StaleCrlTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    private ServerRuntime ss;
    private PolicyServiceImpl ssPolicy;
    private ManagerRuntime sm;

    private void startCluster() throws Exception {
        SccTransport transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        Runtimes.Server server = Runtimes.startServer(tmp.resolve("ss"), transport, closeables, Duration.ofSeconds(4));
        ss = server.runtime();
        ssPolicy = server.policy();
        publish(ssPolicy, ss, "v1");
        NodeConfig scfg = Runtimes.managerConfig(tmp.resolve("sm2"), 2, "sm2", server);
        sm = Runtimes.manager(scfg, transport);
        sm.renewalCheckDelay = Duration.ofMillis(200);
        sm.renewalCheckPeriod = Duration.ofMillis(250);
        Runtimes.startAndJoin(sm, scfg, server, closeables);
        await("the SM applies v1", 10, () -> sm.status().signedVersion() == 1);
    }

    @Test
    void aStaleRevocationListIsReplacedFromTheJoinEndpoint() throws Exception {
        startCluster();
        // several CRL lifetimes pass without the SS pushing one: the node fetches current ones itself
        Thread.sleep(6_000);
        long v2 = publish(ssPolicy, ss, "v2");
        await("the SM applies v2", 10, () -> sm.status().signedVersion() == v2);
        assertEquals(0, ss.alarms().stream().filter(a -> a.alarm().text().contains("revocation list expired")).count());
    }

    @Test
    void withoutACurrentRevocationListTheNodeRefusesTheServerAndSaysSoOnce() throws Exception {
        startCluster();
        int join = sm.joinPort;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            sm.joinPort = closed.getLocalPort(); // a port that never answers TLS: the CRL cannot be refreshed
        }
        await("the node drops the SS once its CRL is stale", 15, () -> ss.nodes().stream()
                .anyMatch(r -> r.snid() == 2 && r.state() == org.opendsi.ss.NodeState.DISCONNECTED));
        long v2 = publish(ssPolicy, ss, "v2");
        Thread.sleep(1_000);
        assertEquals(1, sm.status().signedVersion(), "the last good policy stays in force, v2 is not taken");
        assertTrue(sm.queuedAlarms().stream().anyMatch(a -> a.text().contains("revocation list expired")));
        // the join endpoint is back: a current CRL, the SS again, the alarm delivered once, v2 applied
        sm.joinPort = join;
        await("the alarm reaches the SS", 15, () -> ss.alarms().stream()
                .anyMatch(a -> a.alarm().snid() == 2 && a.alarm().text().contains("revocation list expired")));
        await("the SM applies v2", 15, () -> sm.status().signedVersion() == v2);
        assertEquals(1, ss.alarms().stream().filter(a -> a.alarm().snid() == 2
                && a.alarm().text().contains("revocation list expired")).count());
    }

    private static long publish(PolicyServiceImpl policy, ServerRuntime ss, String name) throws Exception {
        byte[] xml = ("<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"" + name + "\">\n"
                + "  <default decision=\"deny\" external=\"deny\"/>\n</dsp>\n").getBytes(StandardCharsets.UTF_8);
        long v = policy.updateSource(name, xml).version();
        await("the SS signed v" + v, 5, () -> ss.currentEnvelope().map(e -> e.version() == v).orElse(false));
        return v;
    }
}
