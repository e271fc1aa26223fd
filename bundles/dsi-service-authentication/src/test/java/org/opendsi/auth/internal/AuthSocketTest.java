package org.opendsi.auth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.auth.TestPki;
import org.opendsi.auth.client.AuthClient;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkixValidator;
import org.opendsi.keys.SpiffeId;
import org.opendsi.keys.SpiffeIds;

/** The socket protocol and its guards, without root: the test JVM itself is the calling process. */
class AuthSocketTest {

    static final int SELF = (int) ProcessHandle.current().pid();

    @TempDir
    Path dir;
    TestPki pki;
    NodeKeys node;
    final Map<Integer, Integer> contexts = new ConcurrentHashMap<>();
    UnixSocketServer server;
    Path socket;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(dir, "auth.test");
        node = pki.join(3);
        socket = dir.resolve("run/auth.sock");
        Authenticator a = new Authenticator(() -> node, pid -> {
            if (pid == -7) {
                throw new IllegalStateException("unavailable");
            }
            return contexts.getOrDefault(pid, 0);
        }, Duration.ofMinutes(60), new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        server = new UnixSocketServer(socket, "", 16384, Duration.ofMillis(1500), 2, a, atAccept(a));
    }

    /** Without a DSM the context "at connect" is the one read at accept. */
    UnixSocketServer.ConnectRecords atAccept(Authenticator unused) {
        return (fd, pid) -> {
            if (pid == -7) {
                throw new IllegalStateException("unavailable");
            }
            return contexts.getOrDefault(pid, 0);
        };
    }

    /**
     * The context read at connect is the one certified, and only if the process is still in it when
     * the answer is ready: here it "execs" into 20 between the two.
     */
    @Test
    void contextChangedSinceConnectIsRefused() throws Exception {
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        Authenticator a = new Authenticator(() -> node, pid -> 20, Duration.ofMinutes(60),
                new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        Path other = dir.resolve("run/auth3.sock");
        try (UnixSocketServer s = new UnixSocketServer(other, "", 16384, Duration.ofMillis(1500), 2, a, (fd, pid) -> {
            reads.incrementAndGet();
            return 10;
        })) {
            var e = assertThrows(AuthClient.RefusedException.class, () -> AuthClient.request(other));
            assertEquals("process " + SELF + " changed context since it connected (10 -> 20)", e.getMessage());
            assertEquals(1, reads.get());
        }
        // and the context at connect is what is certified: 20 now, at connect and at the answer
        Authenticator b = new Authenticator(() -> node, pid -> 20, Duration.ofMinutes(60),
                new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        try (UnixSocketServer s = new UnixSocketServer(other, "", 16384, Duration.ofMillis(1500), 2, b, (fd, pid) -> 20)) {
            assertEquals(20, AuthClient.request(other).id().scid());
        }
    }

    @Test
    void socketGroupIsApplied() throws Exception {
        Path other = dir.resolve("run/auth4.sock");
        String group = Files.readAllLines(Path.of("/etc/group")).stream().map(l -> l.split(":")[0])
                .filter(g -> g.equals("daemon") || g.equals("adm") || g.equals("users")).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(group != null, "no group daemon, adm or users on this machine");
        Authenticator a = new Authenticator(() -> node, pid -> 0, Duration.ofMinutes(60),
                new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        try (UnixSocketServer s = new UnixSocketServer(other, group, 16384, Duration.ofMillis(1500), 2, a, (fd, pid) -> 0)) {
            var attrs = Files.readAttributes(other, java.nio.file.attribute.PosixFileAttributes.class);
            assertEquals(group, attrs.group().getName());
            assertEquals("rw-rw----", PosixFilePermissions.toString(attrs.permissions()));
        }
        var e = assertThrows(java.io.IOException.class, () -> new UnixSocketServer(dir.resolve("run/auth5.sock"),
                "no-such-group-dsi", 16384, Duration.ofMillis(1500), 2, a, (fd, pid) -> 0));
        assertTrue(e.getMessage().contains("no-such-group-dsi"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("run/auth5.sock")));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void certificateForAProcessInAContext() throws Exception {
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        contexts.put(SELF, 10);
        AuthClient.Identity id = AuthClient.request(socket);
        SpiffeId sid = SpiffeIds.parse(id.leaf());
        assertEquals(SpiffeId.process("auth.test", 3, 10), sid);
        assertEquals(new AuthClient.PeerId("auth.test", 3, 10), id.id());
        assertEquals(2, id.chain().size());
        assertEquals(pki.ca.rootCertificate(), id.root());
        PkixValidator.validate(id.chain(), List.of(id.root()), List.of(), Instant.now(), PkixValidator.Revocation.NONE);
        long life = id.leaf().getNotAfter().getTime() - id.leaf().getNotBefore().getTime();
        assertTrue(life <= TimeUnit.MINUTES.toMillis(65), "lifetime " + life);
        AuthClient.write(id, dir.resolve("out"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("out/key.pem"))));
        assertTrue(Files.readString(dir.resolve("out/chain.pem")).contains("BEGIN CERTIFICATE"));
        assertTrue(id.sslContext() != null);
    }

    @Test
    void refusedOutsideAnyContext() {
        AuthClient.RefusedException e = assertThrows(AuthClient.RefusedException.class, () -> AuthClient.request(socket));
        assertEquals("process " + SELF + " is not in a DSI security context", e.getMessage());
    }

    @Test
    void rateLimitedPerPid() throws Exception {
        contexts.put(SELF, 10);
        for (int i = 0; i < 5; i++) {
            AuthClient.request(socket);
        }
        AuthClient.RefusedException e = assertThrows(AuthClient.RefusedException.class, () -> AuthClient.request(socket));
        assertTrue(e.getMessage().startsWith("rate limit"), e.getMessage());
    }

    @Test
    void malformedAndOversizedRequests() throws Exception {
        contexts.put(SELF, 10);
        assertTrue(AuthClient.exchange(socket, "hello\n").startsWith("ERROR send exactly one PEM"));
        String big = "x".repeat(20000);
        assertTrue(AuthClient.exchange(socket, big).startsWith("ERROR request larger than 16384 bytes"));
        String bad = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
        assertTrue(AuthClient.exchange(socket, bad).startsWith("ERROR certificate refused"),
                AuthClient.exchange(socket, bad));
    }

    @Test
    void slowClientTimesOut() throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("-----BEGIN".getBytes(StandardCharsets.US_ASCII)));
            long t0 = System.nanoTime();
            ByteBuffer in = ByteBuffer.allocate(1000);
            while (ch.read(in) >= 0) {
                // until the server closes
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String text = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
            assertTrue(text.startsWith("ERROR read timeout"), text);
            assertTrue(ms < 4000, ms + " ms");
        }
    }

    @Test
    void csrWithoutHalfCloseIsAnsweredAtTheEndLine() throws Exception {
        contexts.put(SELF, 10);
        // the client's own exchange half-closes; a client that does not must still be answered
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        String req = pemCsr(g.generateKeyPair());
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(16000);
            while (ch.read(in) >= 0) {
                // until the server closes
            }
            String text = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
            assertTrue(text.startsWith("-----BEGIN CERTIFICATE-----"), text);
        }
    }

    static String pemCsr(java.security.KeyPair kp) throws Exception {
        java.lang.reflect.Method csr = AuthClient.class.getDeclaredMethod("csr", java.security.KeyPair.class, String.class);
        csr.setAccessible(true);
        java.lang.reflect.Method pem = AuthClient.class.getDeclaredMethod("pem", String.class, byte[].class);
        pem.setAccessible(true);
        return (String) pem.invoke(null, "CERTIFICATE REQUEST", csr.invoke(null, kp, "x"));
    }

    @Test
    void unavailableDsmIsARefusal() {
        Authenticator a = new Authenticator(() -> node, pid -> {
            throw new IllegalStateException("DSM unavailable: not root");
        }, null, new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        var e = assertThrows(org.opendsi.api.auth.AuthenticationException.class, () -> a.issueFor(42, new byte[10]));
        assertEquals("process 42 is not in a DSI security context (the DSM cannot tell: DSM unavailable: not root)",
                e.getMessage());
    }

    @Test
    void rateLimiterWindowSlides() {
        AtomicLong now = new AtomicLong();
        RateLimiter r = new RateLimiter(2, 100, now::get);
        assertTrue(r.tryAcquire(1));
        assertTrue(r.tryAcquire(1));
        assertFalse(r.tryAcquire(1));
        assertTrue(r.tryAcquire(2));
        now.set(100);
        assertTrue(r.tryAcquire(1));
    }

    /** Key management stopped: the socket stays and answers with the reason; it issues again once key management is back. */
    @Test
    void keyManagementAwayIsARefusalOnTheSameSocket() throws Exception {
        contexts.put(SELF, 10);
        java.util.concurrent.atomic.AtomicBoolean away = new java.util.concurrent.atomic.AtomicBoolean(true);
        Path other = dir.resolve("run/auth2.sock");
        Authenticator a = new Authenticator(() -> {
            if (away.get()) {
                throw new org.opendsi.api.auth.AuthenticationException("key management is not available on this node");
            }
            return node;
        }, contexts::get, Duration.ofMinutes(60), new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        try (UnixSocketServer s = new UnixSocketServer(other, "", 16384, Duration.ofMillis(1500), 2, a,
                (fd, pid) -> contexts.get(pid))) {
            var e = assertThrows(AuthClient.RefusedException.class, () -> AuthClient.request(other));
            assertEquals("key management is not available on this node", e.getMessage());
            away.set(false);
            assertEquals(10, AuthClient.request(other).id().scid());
        }
    }

    @Test
    void unjoinedNodeIsARefusal() {
        contexts.put(SELF, 10);
        NodeKeys fresh = new NodeKeys(org.opendsi.keys.PkiSettings.of(dir.resolve("fresh"), "auth.test"));
        Authenticator a = new Authenticator(() -> fresh, pid -> 10, null,
                new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        var e = assertThrows(org.opendsi.api.auth.AuthenticationException.class, () -> a.issueFor(42, new byte[10]));
        assertTrue(e.getMessage().contains("has not joined"), e.getMessage());
    }


    /** client/dsi-auth-request.sh (openssl + socat or python3): its helper process is a descendant of this JVM. */
    @Test
    void shellClient() throws Exception {
        Path script = Path.of("client/dsi-auth-request.sh").toAbsolutePath();
        boolean tools = Files.isExecutable(Path.of("/usr/bin/openssl"));
        org.junit.jupiter.api.Assumptions.assumeTrue(tools, "openssl is not installed");
        Authenticator a = new Authenticator(() -> node, pid -> descendant(pid) ? 20 : 0, null,
                new RateLimiter(5, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        Path sock2 = dir.resolve("run/auth2.sock");
        try (UnixSocketServer s2 = new UnixSocketServer(sock2, "", 16384, Duration.ofMillis(3000), 2, a,
                (fd, pid) -> descendant(pid) ? 20 : 0)) {
            Path out = dir.resolve("sh-out");
            Process p = new ProcessBuilder("sh", script.toString(), sock2.toString(), out.toString())
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), text);
            assertTrue(text.contains("URI:spiffe://auth.test/node/3/scid/20"), text);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("key.pem"))));
            assertEquals(2, org.opendsi.keys.Pem.parseCertificates(Files.readString(out.resolve("chain.pem"))).size());
            assertEquals(pki.ca.rootCertificate(),
                    org.opendsi.keys.Pem.parseCertificates(Files.readString(out.resolve("root.pem"))).get(0));
        }
        // refused outside a context: exit 2 and the reason
        Process p = new ProcessBuilder("sh", script.toString(), socket.toString(), dir.resolve("x").toString())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), text);
        assertTrue(text.contains("is not in a DSI security context"), text);
    }

    static boolean descendant(int pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        while (h.isPresent()) {
            if (h.get().pid() == SELF) {
                return true;
            }
            h = h.get().parent();
        }
        return false;
    }
}
