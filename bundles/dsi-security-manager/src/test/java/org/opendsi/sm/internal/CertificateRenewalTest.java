package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.await;
import static org.opendsi.sm.internal.Runtimes.field;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.keys.RenewalRequest;
import org.opendsi.keys.SpiffeId;
import org.opendsi.keys.SpiffeIds;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccConnectionState;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.internal.FileServerStore;
import org.opendsi.ss.internal.ServerRuntime;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.opendsi.cluster.protocol.SignedPolicy;

/**
 * "Certificates renew before expiry without a restart", end to end outside OSGi on loopback: the
 * real {@link ServerRuntime} (cluster CA, SCC hub, join endpoint, {@code dsi/renew} handler,
 * housekeeping that renews its own server certificate) and real {@link ManagerRuntime}s (join,
 * SCC client, renewal check, client rebuild), both fed by the real policy service, over the real
 * Netty SCC with mutual TLS 1.3.
 *
 * <p>Certificates live for seconds, in real time, through {@link PkiSettings#withNodeValidity} and
 * {@link PkiSettings#withRenewalFraction}. The CA back-dates every certificate by 5 minutes
 * (clock skew), so the renewal point of a certificate valid {@code V} seconds is
 * {@code notBefore + f * (300 + V)}; {@link #fraction} picks {@code f} so that renewal is due
 * {@code due} seconds after issuing (with the default 2/3 a certificate valid for seconds would be
 * due at once). No clock is faked: the TLS stacks, the CA and the node keys all use the system clock,
 * and the old certificates really expire while the test keeps talking.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CertificateRenewalTest {

    private static final String CLUSTER = "dsi";
    private static final long BACKDATE_SECONDS = 300;

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private SccTransport transport;
    private PolicyServiceImpl ssPolicy;
    private ServerRuntime ss;
    private int policyVersions;

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    // ------------------------------------------------------------------ the SM renews its certificates

    @Test
    void managerRenewsChannelAndNodeCaOverTheSccWithoutRestart() throws Exception {
        double f = fraction(10, 3); // node, channel and server certificates: valid 10 s, renewal due after 3 s
        startServer(10, f);
        publish(); // v1, before the node joins
        ManagerRuntime sm = startManager(2, f);
        NodeKeys keys = keysOf(sm);
        sm.join("127.0.0.1", ss.joinSocketAddress().getPort(), ss.createToken(2, "", Duration.ofMinutes(5), false));
        await("the SM applies v1", 10, () -> sm.status().signedVersion() == 1);

        X509Certificate ch0 = keys.channelCertificate();
        X509Certificate ca0 = keys.nodeCaCertificate();
        SccClient client0 = clientOf(sm);
        SccPeer peer0 = ssPeer(2).orElseThrow();
        assertEquals(ch0.getNotAfter().toInstant(), peer0.certificateExpiry(),
                "the SS sees the join-time channel certificate");
        Drops drops = watchDrops(client0);

        // the renewal check of the running SM notices the due certificates and renews them over the SCC
        await("the channel certificate is renewed", 15,
                () -> !keys.channelCertificate().getSerialNumber().equals(ch0.getSerialNumber()));
        assertTrue(Instant.now().isBefore(ch0.getNotAfter().toInstant()), "renewed before the old one expired");
        X509Certificate ch1 = keys.channelCertificate();
        assertRenewed(ch0, ch1);
        assertEquals(SpiffeId.node(CLUSTER, 2), SpiffeIds.parse(ch1));
        await("the node CA certificate is renewed", 5,
                () -> !keys.nodeCaCertificate().getSerialNumber().equals(ca0.getSerialNumber()));
        assertRenewed(ca0, keys.nodeCaCertificate());
        assertEquals(0, keys.nodeCaCertificate().getBasicConstraints(), "still a CA with pathLen 0");
        assertTrue(ss.ca().issued().stream().anyMatch(c -> c.serial().equals(ch1.getSerialNumber())),
                "issued by the SS's cluster CA");

        // no restart and no reconnect: the open connection re-authenticated in band, so the SS sees the
        // same connection of node 2 present the new certificate (and its expiry)
        awaitConnectedWithCurrentCertificate(sm, keys, 2);
        assertSame(client0, clientOf(sm), "the same SCC client");
        assertSame(peer0, ssPeer(2).orElseThrow(), "the same connection, not a new one");
        assertEquals(peer0.connectedSince(), ssPeer(2).orElseThrow().connectedSince());
        assertSame(keys, keysOf(sm));
        await("the SS's node record shows the renewed certificate's expiry", 5,
                () -> ss.nodes().stream().anyMatch(r -> r.snid() == 2 && ch1.getNotAfter().toInstant().equals(r.certExpiry())));
        assertTrue(sm.status().certExpiry().isAfter(ch0.getNotAfter().toInstant()), sm.status().toString());

        // policy published after the renewal still arrives
        long v2 = publish();
        await("the SM applies v" + v2 + " after the renewal", 10, () -> sm.status().signedVersion() == v2);
        assertEquals(v2, sm.status().policyVersion());

        // the join-time certificates expire: the node keeps working on renewed ones
        sleepUntil(ch0.getNotAfter().toInstant().plusMillis(500));
        assertFalse(keys.channelCertificate().getNotAfter().toInstant().isBefore(Instant.now()));
        long v3 = publish();
        await("the SM applies v" + v3 + " after its first certificates expired", 10,
                () -> sm.status().signedVersion() == v3);
        awaitConnectedWithCurrentCertificate(sm, keys, 2);
        NodeRecord rec = ss.nodes().stream().filter(r -> r.snid() == 2).findFirst().orElseThrow();
        assertTrue(rec.certExpiry().isAfter(ch0.getNotAfter().toInstant()), rec.toString());
        assertTrue(rec.ackedVersion() >= v3, rec.toString());
        assertSame(peer0, ssPeer(2).orElseThrow(), "still the join-time connection, across several renewals");
        drops.assertNone();
    }

    // ------------------------------------------------------------------ the SS renews its own certificate

    @Test
    void serverRenewsItsOwnCertificateAndManagersKeepReceiving() throws Exception {
        double f = fraction(8, 2);
        startServer(8, f);
        X509Certificate s0 = ssLeaf();
        // from before the first renewal to the end: the SCC port answers every probe
        PortProbe probe = new PortProbe(ssPort);
        long v1 = publish(); // signed with s0
        ManagerRuntime sm = startManager(2, f);
        sm.join("127.0.0.1", ss.joinSocketAddress().getPort(), ss.createToken(2, "", Duration.ofMinutes(5), false));
        await("the SM applies v1", 10, () -> sm.status().signedVersion() == v1);
        // the SS may have renewed already while the node joined; watch from here across the next renewals
        X509Certificate watched = ssLeaf();
        SccClient client0 = clientOf(sm);
        SccPeer hub0 = client0.server().orElseThrow();
        SccPeer peer0 = ssPeer(2).orElseThrow();
        Drops drops = watchDrops(client0);
        AlarmFlow alarms = new AlarmFlow(sm);

        await("the SS renews its server certificate", 10,
                () -> !ssLeaf().getSerialNumber().equals(watched.getSerialNumber()));
        assertTrue(Instant.now().isBefore(watched.getNotAfter().toInstant()), "renewed before the old one expired");
        X509Certificate s1 = ssLeaf();
        assertRenewed(watched, s1);
        assertEquals(SpiffeId.server(CLUSTER), SpiffeIds.parse(s1));

        // the SM's open connection now presents the renewed SS certificate: re-authenticated in band,
        // not reconnected (same client, same connection on both ends)
        await("the SM's open connection re-authenticates the renewed SS certificate", 10, () -> {
            Optional<SccPeer> p = client0.server();
            return p.isPresent() && !p.get().certificateChain().get(0).getSerialNumber().equals(watched.getSerialNumber());
        });
        assertSame(client0, clientOf(sm));
        assertSame(hub0, client0.server().orElseThrow(), "the same connection to the hub");
        assertSame(peer0, ssPeer(2).orElseThrow(), "the SS still holds the same connection of node 2");
        // a new handshake presents the renewed certificate too
        NodeKeys other = joinDirectly(ss.ca(), 9);
        SccClient fresh = rawClient(other);
        X509Certificate handshake = fresh.server().orElseThrow().certificateChain().get(0);
        fresh.close(); // its certificate is not renewed: it would retry with an expired one until the end
        assertNotEquals(watched.getSerialNumber(), handshake.getSerialNumber(), "a new handshake sees a renewed certificate");
        assertEquals(SpiffeId.server(CLUSTER), SpiffeIds.parse(handshake));
        long v2 = publish();
        await("the SM applies v" + v2 + " after the SS renewal", 10, () -> sm.status().signedVersion() == v2);
        SignedPolicy env2 = signedOf(sm);
        assertNotEquals(s0.getSerialNumber(), env2.signer().get(0).getSerialNumber(), "signed with a renewed key");

        // the certificate that signed v2 expires (the SS renewed it meanwhile); a node that joins now
        // still gets, verifies and applies the current version, and the first node keeps receiving
        Instant signerEnd = env2.signer().get(0).getNotAfter().toInstant();
        sleepUntil(signerEnd.plusMillis(500));
        ManagerRuntime late = startManager(3, f);
        late.join("127.0.0.1", ss.joinSocketAddress().getPort(), ss.createToken(3, "", Duration.ofMinutes(5), false));
        await("a node joining after the v" + v2 + " signer expired applies v" + v2, 10,
                () -> late.status().signedVersion() == v2);
        long v3 = publish();
        await("both nodes apply v" + v3, 10,
                () -> sm.status().signedVersion() == v3 && late.status().signedVersion() == v3);
        assertTrue(Instant.now().isAfter(s0.getNotAfter().toInstant()), "the first SS certificate has expired");

        // across every renewal of this test: the port always answered, the node's connection was never
        // dropped, and each alarm raised meanwhile was stored by the SS exactly once
        alarms.stopAndAssertStoredOnce();
        probe.stopAndAssertAlwaysAnswered();
        assertSame(peer0, ssPeer(2).orElseThrow(), "still the first connection of node 2");
        drops.assertNone();
    }

    // ------------------------------------------------------------------ someone else's certificate

    @Test
    void renewalRequestForAnotherNodesCertificateIsRefused() throws Exception {
        double f = fraction(60, 50);
        startServer(60, f);
        ClusterCa ca = ss.ca();
        NodeKeys attacker = joinDirectly(ca, 7);
        NodeKeys victim = joinDirectly(ca, 8);
        SccClient cl = rawClient(attacker);

        // the victim's own, correctly signed request (e.g. replayed) sent over the attacker's connection
        RenewalRequest stolen = victim.prepareRenewal(CertificateRole.CHANNEL);
        int issuedBefore = ca.issued().size();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> cl.request(ClusterTopics.RENEW, payload(stolen), SccPriority.CONTROL, Duration.ofSeconds(10)).get());
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("asked to renew a certificate of"),
                e.getCause().toString());
        RenewalRequest stolenCa = victim.prepareRenewal(CertificateRole.NODE_CA);
        assertThrows(ExecutionException.class,
                () -> cl.request(ClusterTopics.RENEW, payload(stolenCa), SccPriority.CONTROL, Duration.ofSeconds(10)).get());
        assertEquals(issuedBefore, ca.issued().size(), "nothing was issued");

        // the attacker's own request, which differs only in whose certificate it renews, is accepted
        X509Certificate before = attacker.channelCertificate();
        // certificate times have a resolution of one second: let "later notAfter" be observable
        Thread.sleep(1_100);
        RenewalRequest own = attacker.prepareRenewal(CertificateRole.CHANNEL);
        SccMessage reply = cl.request(ClusterTopics.RENEW, payload(own), SccPriority.CONTROL, Duration.ofSeconds(10)).get();
        X509Certificate renewed = Json.certificate(Json.unb64(reply.payload(), "certificate"));
        attacker.installRenewal(CertificateRole.CHANNEL, renewed);
        assertRenewed(before, attacker.channelCertificate());
        assertEquals(SpiffeId.node(CLUSTER, 7), SpiffeIds.parse(renewed));
    }

    // ------------------------------------------------------------------ fixtures

    /** Counts every drop of one node connection, seen from both ends. */
    private final class Drops {
        private final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

        Drops(SccClient client) {
            client.addStateListener((state, cause) -> {
                if (state != SccConnectionState.CONNECTED) {
                    seen.add("SM client " + state + (cause == null ? "" : ": " + cause));
                }
            });
            field(ss, "server", SccServer.class).addPeerListener(new org.opendsi.scc.SccPeerListener() {
                @Override
                public void peerConnected(SccPeer peer) {
                    if (isNode2(peer)) {
                        seen.add("SS saw a new connection of " + peer.id());
                    }
                }

                @Override
                public void peerDisconnected(SccPeer peer, String reason) {
                    if (isNode2(peer)) {
                        seen.add("SS lost " + peer.id() + ": " + reason);
                    }
                }
            });
        }

        private boolean isNode2(SccPeer peer) {
            return peer.id().equals(SpiffeId.node(CLUSTER, 2).toString());
        }

        void assertNone() {
            assertEquals(List.of(), seen, "connection events of node 2 during the renewals");
        }
    }

    /** Connects to the SCC port every 20 ms on a thread of its own and records the probes refused. */
    private final class PortProbe implements AutoCloseable {
        private final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        private final List<String> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean running = true;
        private final Thread thread;

        PortProbe(int port) {
            thread = new Thread(() -> {
                while (running) {
                    try (java.net.Socket s = new java.net.Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                        answered.incrementAndGet();
                    } catch (java.io.IOException e) {
                        refused.add(Instant.now() + ": " + e);
                    }
                    try {
                        Thread.sleep(20); // the probe's period, not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "scc-port-probe");
            thread.setDaemon(true);
            thread.start();
            closeables.add(this);
        }

        void stopAndAssertAlwaysAnswered() throws InterruptedException {
            close();
            assertEquals(List.of(), refused, "probes of the SCC port refused during the renewals");
            assertTrue(answered.get() > 100, "the probe ran throughout (" + answered.get() + " probes)");
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }

    /** Raises an alarm on the SM every 100 ms on a thread of its own. */
    private final class AlarmFlow implements AutoCloseable {
        private final List<String> raised = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean running = true;
        private final Thread thread;

        AlarmFlow(ManagerRuntime sm) {
            thread = new Thread(() -> {
                int n = 0;
                while (running) {
                    raised.add(sm.raise(org.opendsi.api.alarm.AlarmPriority.HIGH, "renewal-test", "alarm " + n++).id());
                    try {
                        Thread.sleep(100); // the flow's rate, not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "alarm-flow");
            thread.setDaemon(true);
            thread.start();
            closeables.add(this);
        }

        void stopAndAssertStoredOnce() throws Exception {
            close();
            await("the SS stored the " + raised.size() + " alarms raised during the renewals", 15,
                    () -> ss.alarms().stream().filter(a -> raised.contains(a.alarm().id())).count() == raised.size());
            Map<String, Long> counts = ss.alarms().stream().filter(a -> raised.contains(a.alarm().id()))
                    .collect(java.util.stream.Collectors.groupingBy(a -> a.alarm().id(), java.util.stream.Collectors.counting()));
            assertTrue(counts.values().stream().allMatch(c -> c == 1), "each alarm stored once: " + counts);
            assertTrue(raised.size() > 50, "alarms flowed throughout (" + raised.size() + ")");
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }

    private Drops watchDrops(SccClient client) {
        return new Drops(client);
    }

    /** The renewal fraction that makes a certificate valid {@code validity} s due {@code due} s after issuing. */
    private static double fraction(long validity, long due) {
        return (double) (BACKDATE_SECONDS + due) / (BACKDATE_SECONDS + validity);
    }

    private int ssPort;

    private void startServer(long validitySeconds, double fraction) throws Exception {
        transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        ssPort = freePort(); // the renewed listener must come back on the port the nodes know
        Path dir = tmp.resolve("ss");
        NodeConfig cfg = new NodeConfig(NodeRole.SERVER, CLUSTER, 1, "ss", "127.0.0.1", "127.0.0.1", ssPort,
                "127.0.0.1", ssPort, 0, dir, 1000, 2);
        ssPolicy = new PolicyServiceImpl();
        ssPolicy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, dir.resolve("policy").toString()));
        ClusterCa ca = new ClusterCa(PkiSettings.of(dir.resolve("keys"), CLUSTER)
                .withNodeValidity(Duration.ofSeconds(validitySeconds)).withRenewalFraction(fraction));
        ss = new ServerRuntime(cfg, ssPolicy, transport, new FileServerStore(dir.resolve("store")), ca);
        ss.housekeepingInterval(Duration.ofMillis(250));
        ss.start();
        closeables.add(ss);
        ssPolicy.addListener(ss);
        assertEquals(ssPort, ss.sccSocketAddress().getPort());
    }

    private ManagerRuntime startManager(int snid, double fraction) throws Exception {
        Path dir = tmp.resolve("sm" + snid);
        NodeConfig cfg = new NodeConfig(NodeRole.MANAGER, CLUSTER, snid, "sm" + snid, "127.0.0.1", "127.0.0.1", ssPort,
                "127.0.0.1", 0, 0, dir, 1000, 2);
        PolicyServiceImpl policy = new PolicyServiceImpl();
        policy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, dir.resolve("policy").toString()));
        NodeKeys keys = new NodeKeys(PkiSettings.of(dir.resolve("keys"), CLUSTER).withRenewalFraction(fraction));
        ManagerRuntime sm = new ManagerRuntime(cfg, policy, transport, keys);
        sm.renewalCheckDelay = Duration.ofMillis(200);
        sm.renewalCheckPeriod = Duration.ofMillis(250);
        sm.start();
        closeables.add(sm);
        return sm;
    }

    /** Applies the next policy version on the SS, which signs it and sends it to the nodes. */
    private long publish() throws Exception {
        int n = ++policyVersions;
        byte[] xml = ("<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"renewal-" + n + "\">\n"
                + "  <default decision=\"deny\" external=\"deny\"/>\n</dsp>\n").getBytes(StandardCharsets.UTF_8);
        PolicyVersion v = ssPolicy.updateSource("test v" + n, xml);
        await("the SS signed v" + v.version(), 5,
                () -> ss.currentEnvelope().map(e -> e.version() == v.version()).orElse(false));
        return v.version();
    }

    private NodeKeys joinDirectly(ClusterCa ca, int snid) {
        NodeKeys k = new NodeKeys(PkiSettings.of(tmp.resolve("direct-" + snid), CLUSTER));
        String token = ca.joinTokens().create(Duration.ofMinutes(5), snid, "", false);
        k.install(ca.join(token, k.prepareJoin("n" + snid), snid), ca.rootFingerprint());
        return k;
    }

    private SccClient rawClient(NodeKeys k) throws Exception {
        Credentials c = k.channelCredentials();
        SccClient cl = transport.createClient(new SccCredentials(c.privateKey(), c.chain(), c.trustAnchors(),
                () -> new ArrayList<>(k.crls())), SccOptions.defaults().toBuilder()
                .serverIdentityPrefix("spiffe://" + CLUSTER + "/ss").build(), "127.0.0.1", ssPort);
        closeables.add(cl);
        cl.connect().get(10, TimeUnit.SECONDS);
        return cl;
    }

    /** The {@code dsi/renew} payload exactly as the SM encodes it. */
    private static ObjectNode payload(RenewalRequest req) {
        return org.opendsi.cluster.protocol.ClusterMessages.encode(req);
    }

    private static void assertRenewed(X509Certificate old, X509Certificate fresh) {
        assertNotEquals(old.getSerialNumber(), fresh.getSerialNumber(), "new serial");
        assertTrue(fresh.getNotAfter().after(old.getNotAfter()), "later notAfter: " + old.getNotAfter() + " -> "
                + fresh.getNotAfter());
        assertFalse(java.util.Arrays.equals(old.getPublicKey().getEncoded(), fresh.getPublicKey().getEncoded()),
                "new key");
        assertArrayEquals(old.getSubjectX500Principal().getEncoded(), fresh.getSubjectX500Principal().getEncoded());
    }

    /** The SM is connected and the SS's peer for {@code snid} presents the SM's current channel certificate. */
    private void awaitConnectedWithCurrentCertificate(ManagerRuntime sm, NodeKeys keys, int snid) throws Exception {
        await("the SS sees node " + snid + " connected with its current channel certificate", 10, () -> {
            X509Certificate cur = keys.channelCertificate();
            Optional<SccPeer> p = ssPeer(snid);
            return connected(sm) && p.isPresent()
                    && p.get().certificateChain().get(0).equals(cur)
                    && p.get().certificateExpiry().equals(cur.getNotAfter().toInstant())
                    && keys.channelCertificate().equals(cur);
        });
    }

    private Optional<SccPeer> ssPeer(int snid) {
        SccServer s = field(ss, "server", SccServer.class);
        if (s == null) {
            return Optional.empty();
        }
        SpiffeId id = SpiffeId.node(CLUSTER, snid);
        return s.peers().stream().filter(p -> {
            try {
                return SpiffeIds.parse(p.certificateChain().get(0)).equals(id);
            } catch (RuntimeException e) {
                return false;
            }
        }).findFirst();
    }

    private X509Certificate ssLeaf() {
        return field(ss, "credentials", Credentials.class).leaf();
    }

    private static boolean connected(ManagerRuntime sm) {
        SccClient cl = clientOf(sm); // null for a moment while the SM rebuilds it
        return cl != null && cl.state() == SccConnectionState.CONNECTED;
    }

    private static SccClient clientOf(ManagerRuntime sm) {
        return field(sm, "client", SccClient.class);
    }

    private static NodeKeys keysOf(ManagerRuntime sm) {
        return field(sm, "keys", NodeKeys.class);
    }

    private static SignedPolicy signedOf(ManagerRuntime sm) {
        return field(sm, "signed", SignedPolicy.class);
    }


    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static void sleepUntil(Instant t) throws InterruptedException {
        long ms = Duration.between(Instant.now(), t).toMillis();
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

}
