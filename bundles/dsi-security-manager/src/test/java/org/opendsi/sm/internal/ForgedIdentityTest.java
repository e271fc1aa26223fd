package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.sm.internal.Runtimes.field;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.JoinRequest;
import org.opendsi.keys.KeyAlgorithm;
import org.opendsi.keys.NodeCertificates;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.keys.ProcessCredentials;
import org.opendsi.keys.internal.Pki;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccConnectionState;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.internal.FileServerStore;
import org.opendsi.ss.internal.ServerRuntime;
import org.opendsi.cluster.protocol.ClusterTrust;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.opendsi.cluster.protocol.PolicyMessage;
import org.opendsi.cluster.protocol.PolicySignatures;
import org.opendsi.cluster.protocol.SignedPolicy;

/**
 * A compromised node (root on node 2: it holds its node CA's key) against the real Security Server
 * and a real Security Manager (node 3) over the real SCC on loopback. Its node CA can sign any URI;
 * none of what it mints for someone else gets in, and the real node 3 stays connected throughout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForgedIdentityTest {

    private static final String CLUSTER = "dsi";

    @TempDir
    Path tmp;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private SccTransport transport;
    private PolicyServiceImpl ssPolicy;
    private ServerRuntime ss;
    private ManagerRuntime victim;
    private SccPeer victimConnection;
    private Rogue rogue;
    private int ssPort;

    /** What root on node 2 holds: its node CA certificate and key. */
    private record Rogue(X509Certificate nodeCa, PrivateKey caKey) {
        X509Certificate mint(Pki.Profile profile, String uri, KeyPair subject) {
            Instant now = Instant.now();
            return Pki.issue(profile, Pki.dn("dsi " + CLUSTER, null, "minted"), subject.getPublic(), nodeCa, caKey,
                    now.minusSeconds(60), now.plusSeconds(3600), List.of(uri), List.of(), List.of());
        }
    }

    @BeforeEach
    void cluster() throws Exception {
        transport = SccTransport.newTransport(2, 2);
        closeables.add(transport);
        Path dir = tmp.resolve("ss");
        NodeConfig cfg = new NodeConfig(NodeRole.SERVER, CLUSTER, 1, "ss", "127.0.0.1", "127.0.0.1", 0,
                "127.0.0.1", 0, 0, dir, 1000, 2);
        ssPolicy = new PolicyServiceImpl();
        ssPolicy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, dir.resolve("policy").toString()));
        ss = new ServerRuntime(cfg, ssPolicy, transport, new FileServerStore(dir.resolve("store")),
                new ClusterCa(PkiSettings.of(dir.resolve("keys"), CLUSTER)));
        ss.start();
        closeables.add(ss);
        ssPolicy.addListener(ss);
        ssPort = ss.sccSocketAddress().getPort();
        publish("v1");

        Path vdir = tmp.resolve("sm3");
        NodeConfig vcfg = new NodeConfig(NodeRole.MANAGER, CLUSTER, 3, "victim", "127.0.0.1", "127.0.0.1", ssPort,
                "127.0.0.1", 0, 0, vdir, 1000, 2);
        PolicyServiceImpl vpolicy = new PolicyServiceImpl();
        vpolicy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, vdir.resolve("policy").toString()));
        victim = new ManagerRuntime(vcfg, vpolicy, transport, new NodeKeys(PkiSettings.of(vdir.resolve("keys"), CLUSTER)));
        victim.start();
        closeables.add(victim);
        victim.join("127.0.0.1", ss.joinSocketAddress().getPort(), ss.createToken(3, "victim", Duration.ofMinutes(5), false));
        await("node 3 applies v1", () -> victim.status().signedVersion() == 1);
        await("the SS lists node 3", () -> ssPeer("spiffe://dsi/node/3") != null);
        victimConnection = ssPeer("spiffe://dsi/node/3");

        // node 2 joins with keys the attacker holds (as root on node 2 does)
        KeyPair ca = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        KeyPair ch = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        NodeCertificates certs = ss.ca().join(ss.ca().joinTokens().create(Duration.ofMinutes(5), 2, "", false), new JoinRequest("rogue",
                Pki.csr(new X500Principal("CN=ca"), ca), Pki.csr(new X500Principal("CN=ch"), ch)), 2);
        rogue = new Rogue(certs.nodeCa(), ca.getPrivate());
    }

    @AfterEach
    void tearDown() {
        Runtimes.closeAll(closeables);
    }

    @Test
    void aPolicySignedAsTheServerByANodeCaIsRefusedAndAlarmed() throws Exception {
        KeyPair k = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate fakeSs = rogue.mint(Pki.Profile.SERVER, "spiffe://dsi/ss", k);
        byte[] permissive = ("<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"all-open\">\n"
                + "  <default decision=\"allow\" external=\"allow\"/>\n</dsp>\n").getBytes(StandardCharsets.UTF_8);
        // a huge version: were it taken, every real version after it would be refused as older
        SignedPolicy forged = PolicySignatures.sign(CLUSTER, 1_000_000, permissive,
                org.opendsi.policy.DspCompiler.compile("forged", permissive).digest(), "all-open",
                k.getPrivate(), List.of(fakeSs, rogue.nodeCa()));
        victim.handlePolicy(PolicyMessage.full(forged, permissive), false);

        assertEquals(1, victim.status().signedVersion(), "the forged version is not applied");
        await("the refusal reaches the SS as an alarm", () -> ss.alarms().stream().anyMatch(a ->
                a.alarm().snid() == 3 && a.alarm().text().contains("refused policy v1000000")
                        && a.alarm().text().contains("may only issue process certificates")));
        long v2 = publish("v2");
        await("a real version still applies after the forgery", () -> victim.status().signedVersion() == v2);
        assertSame(victimConnection, ssPeer("spiffe://dsi/node/3"), "node 3 stayed connected");
    }

    @Test
    void aChannelCertificateMintedForAnotherNodeCannotConnect() throws Exception {
        KeyPair k = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate asNode3 = rogue.mint(Pki.Profile.CHANNEL, "spiffe://dsi/node/3", k);
        assertNeverConnects(new SccCredentials(k.getPrivate(), List.of(asNode3, rogue.nodeCa()),
                List.of(ss.ca().rootCertificate())), "SS");
        assertSame(victimConnection, ssPeer("spiffe://dsi/node/3"), "the real node 3 was not kicked");
        assertTrue(victimConnection.isConnected());
    }

    @Test
    void aProcessCertificateNeverOpensAnSccSession() throws Exception {
        NodeKeys node4 = new NodeKeys(PkiSettings.of(tmp.resolve("n4"), CLUSTER));
        node4.install(ss.ca().join(ss.ca().joinTokens().create(Duration.ofMinutes(5), 4, "", false), node4.prepareJoin("n4"), 4),
                ss.ca().rootFingerprint());
        ProcessCredentials p = node4.issueProcessCredentials(10, Duration.ofMinutes(5));
        assertNeverConnects(new SccCredentials(p.privateKey(), p.chain(), List.of(ss.ca().rootCertificate())), "SS");
        assertTrue(ss.nodes().stream().noneMatch(r -> r.snid() == 4 && r.state() == org.opendsi.ss.NodeState.CONNECTED));
    }

    @Test
    void aServerCertificateMintedByANodeCaCannotPoseAsTheHub() throws Exception {
        KeyPair k = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate fakeSs = rogue.mint(Pki.Profile.SERVER, "spiffe://dsi/ss", k);
        SccServer fake = transport.createServer(new SccCredentials(k.getPrivate(), List.of(fakeSs, rogue.nodeCa()),
                List.of(ss.ca().rootCertificate())), SccOptions.defaults(), new InetSocketAddress("127.0.0.1", 0)).start();
        closeables.add(fake);
        // node 3's own credentials and trust, as its Security Manager builds them
        NodeKeys keys = field(victim, "keys", NodeKeys.class);
        var c = keys.channelCredentials();
        SccCredentials asNode3 = new SccCredentials(c.privateKey(), c.chain(), c.trustAnchors(), () -> List.copyOf(keys.crls()),
                ClusterTrust.securityServerOf(CLUSTER, c.trustAnchors(), keys::crls));
        SccClient cl = transport.createClient(asNode3, SccOptions.defaults().toBuilder()
                .serverIdentityPrefix("spiffe://dsi/ss").build(), "127.0.0.1", fake.localAddress().getPort());
        closeables.add(cl);
        List<SccConnectionState> states = new CopyOnWriteArrayList<>();
        cl.addStateListener((s, cause) -> states.add(s));
        cl.connect();
        await("several attempts refused", () -> refusals(states) >= 3);
        assertFalse(states.contains(SccConnectionState.CONNECTED), states.toString());
        assertTrue(fake.peers().isEmpty());
    }

    @Test
    void aStoredPolicyWhoseSignerWasRevokedIsNotEnforcedAtTheNextBoot() throws Exception {
        NodeKeys keys = field(victim, "keys", NodeKeys.class);
        X509Certificate signer = field(victim, "signed", SignedPolicy.class).signer().get(0);
        ss.ca().revoke(signer.getSerialNumber(), java.security.cert.CRLReason.KEY_COMPROMISE);
        assertTrue(keys.updateCrl(ss.ca().crl()), "node 3 holds the CRL that revokes the signer");
        victim.close();

        Path vdir = tmp.resolve("sm3");
        NodeConfig vcfg = new NodeConfig(NodeRole.MANAGER, CLUSTER, 3, "victim", "127.0.0.1", "127.0.0.1", ssPort,
                "127.0.0.1", 0, 0, vdir, 1000, 2);
        PolicyServiceImpl vpolicy = new PolicyServiceImpl();
        vpolicy.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, tmp.resolve("sm3-boot2").toString()));
        ManagerRuntime again = new ManagerRuntime(vcfg, vpolicy, transport,
                new NodeKeys(PkiSettings.of(vdir.resolve("keys"), CLUSTER)));
        closeables.add(again);
        again.start();
        assertEquals(0, again.status().signedVersion(), "the stored policy is not enforced");
        assertTrue(vpolicy.current().isEmpty(), "nothing of it reached the policy service");
        String why = again.status().lastError();
        assertTrue(why != null && why.contains("stored signed policy unusable") && why.contains("revoked"), why);
        assertTrue(again.queuedAlarms().stream().anyMatch(a -> a.text().contains("stored signed policy unusable")),
                "an alarm waits for the Security Server");
    }

    @Test
    void aRevocationListThatDoesNotVerifyRaisesAnAlarm() throws Exception {
        ClusterCa other = new ClusterCa(PkiSettings.of(tmp.resolve("other-ca"), CLUSTER));
        com.fasterxml.jackson.databind.JsonNode crl = org.opendsi.cluster.protocol.ClusterMessages.encode(
                new org.opendsi.cluster.protocol.ClusterMessages.CrlUpdate(other.crl()));
        java.lang.reflect.Method onCrl = ManagerRuntime.class.getDeclaredMethod("onCrl", java.util.function.Supplier.class);
        onCrl.setAccessible(true);
        // as if it arrived on dsi/crl
        onCrl.invoke(victim, (java.util.function.Supplier<?>) () ->
                org.opendsi.cluster.protocol.ClusterMessages.crlUpdate(crl).crl());
        await("the refusal reaches the SS as an alarm", () -> ss.alarms().stream().anyMatch(a ->
                a.alarm().snid() == 3 && a.alarm().text().contains("revocation list refused")));
    }

    // ------------------------------------------------------------------ fixtures

    private void assertNeverConnects(SccCredentials creds, String what) throws Exception {
        SccClient cl = transport.createClient(creds, SccOptions.defaults().toBuilder()
                .serverIdentityPrefix("spiffe://dsi/ss").build(), "127.0.0.1", ssPort);
        closeables.add(cl);
        List<SccConnectionState> states = new CopyOnWriteArrayList<>();
        cl.addStateListener((s, cause) -> states.add(s));
        cl.connect();
        // it keeps trying (with back-off); three refused attempts and never a connection
        await("several attempts refused", () -> refusals(states) >= 3);
        assertFalse(states.contains(SccConnectionState.CONNECTED), what + " accepted it: " + states);
        cl.close();
    }

    private static long refusals(List<SccConnectionState> states) {
        return states.stream().filter(s -> s == SccConnectionState.DISCONNECTED).count();
    }

    private long publish(String name) throws Exception {
        byte[] xml = ("<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"" + name + "\">\n"
                + "  <default decision=\"deny\" external=\"deny\"/>\n</dsp>\n").getBytes(StandardCharsets.UTF_8);
        PolicyVersion v = ssPolicy.updateSource(name, xml);
        await("the SS signed v" + v.version(), () -> ss.currentEnvelope().map(e -> e.version() == v.version()).orElse(false));
        return v.version();
    }

    private SccPeer ssPeer(String id) {
        SccServer s = field(ss, "server", SccServer.class);
        return s == null ? null : s.peer(id).orElse(null);
    }


    private static void await(String what, BooleanSupplier cond) throws Exception {
        Runtimes.await(what, 15, cond);
    }
}
