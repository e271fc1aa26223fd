package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.cluster.protocol.JoinClient;
import org.opendsi.cluster.protocol.JoinException;
import org.opendsi.cluster.protocol.JoinToken;

class JoinServerTest {

    @TempDir
    Path tmp;
    ClusterCa ca;
    JoinServer server;
    int port;

    @BeforeEach
    void start() throws Exception {
        ca = new ClusterCa(PkiSettings.of(tmp.resolve("ss"), "dsi"));
        Credentials c = ca.serverCredentials(java.util.List.of(), java.util.List.of());
        server = new JoinServer(new InetSocketAddress("127.0.0.1", 0), () -> c,
                (token, req, snid, addr) -> ca.join(token, req, snid), () -> 8843, ca::crl);
        port = server.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private JoinClient.Result join(String token, int snid) throws JoinException {
        NodeKeys k = new NodeKeys(PkiSettings.of(tmp.resolve("n" + snid + "-" + System.nanoTime()), "dsi"));
        JoinToken t = JoinToken.parse(token);
        JoinClient.Result r = JoinClient.join("127.0.0.1", port, "dsi", t, snid, "n" + snid, "127.0.0.1",
                k.prepareJoin("n" + snid), 5000);
        k.install(r.certificates(), t.rootFingerprint());
        return r;
    }

    private String token(Duration ttl, int snid) {
        return ca.joinTokens().create(ttl, snid, "", false) + "." + ca.rootFingerprint();
    }

    @Test
    void validTokenJoinsOnceReuseIsRefused() throws Exception {
        String t = token(Duration.ofMinutes(5), 2);
        JoinClient.Result r = join(t, 2);
        assertEquals(2, r.certificates().snid());
        assertEquals(8843, r.sccPort());
        assertEquals(0, r.certificates().nodeCa().getBasicConstraints(), "node CA with path length 0");
        JoinException e = assertThrows(JoinException.class, () -> join(t, 2));
        assertEquals("ALREADY_USED", e.reason());
        assertTrue(e.getMessage().contains("already used"), e.getMessage());
    }

    @Test
    void expiredTokenIsRefused() throws Exception {
        String t = token(Duration.ofSeconds(1), 2);
        Thread.sleep(1200); // deliberate: lets the token's 1 s lifetime pass (expiry is time itself, nothing to await)
        JoinException e = assertThrows(JoinException.class, () -> join(t, 2));
        assertEquals("EXPIRED", e.reason());
        assertTrue(e.getMessage().contains("expired"), e.getMessage());
    }

    @Test
    void unknownTokenAndWrongFingerprint() throws Exception {
        JoinException e = assertThrows(JoinException.class, () -> join("dsi-" + "A".repeat(43) + "." + ca.rootFingerprint(), 2));
        assertEquals("UNKNOWN", e.reason());
        String t = ca.joinTokens().create(Duration.ofMinutes(5), 2, "", false) + "." + "0".repeat(64);
        JoinException u = assertThrows(JoinException.class, () -> join(t, 2));
        assertEquals("UNTRUSTED_SERVER", u.reason());
        // the token was not sent to the impostor, so it still works with the right fingerprint
        String secret = t.substring(0, t.lastIndexOf('.'));
        join(secret + "." + ca.rootFingerprint(), 2);
    }

    @Test
    void aTokenForSnid3CannotJoinAsSnid2NorTakeOverALiveNode() throws Exception {
        join(token(Duration.ofMinutes(5), 2), 2);
        String forThree = token(Duration.ofMinutes(5), 3);
        JoinException wrong = assertThrows(JoinException.class, () -> join(forThree, 2));
        assertEquals("WRONG_NODE", wrong.reason());
        assertTrue(wrong.getMessage().contains("it is for SnID 3"), wrong.getMessage());
        assertEquals(3, join(forThree, 3).certificates().snid(), "still good for its own node");

        JoinException taken = assertThrows(JoinException.class, () -> join(token(Duration.ofMinutes(5), 2), 2));
        assertEquals("NODE_EXISTS", taken.reason());
        String replace = ca.joinTokens().create(Duration.ofMinutes(5), 2, "", true) + "." + ca.rootFingerprint();
        assertEquals(2, join(replace, 2).certificates().snid(), "an explicit replacement is allowed");
    }

    @Test
    void malformedRequestsGetAClearError() {
        var resp = server.answer("{\"snid\": 0}", "test");
        assertTrue(resp.get("error").asText().contains("SnID"), resp.toString());
        resp = server.answer("not json", "test");
        assertEquals("INVALID", resp.get("reason").asText());
    }
}
