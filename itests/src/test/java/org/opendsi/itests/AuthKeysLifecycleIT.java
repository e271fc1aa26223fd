package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.junit.Before;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.opendsi.api.auth.AuthenticationException;
import org.opendsi.api.auth.AuthenticationService;
import org.opendsi.auth.client.AuthClient;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.KeyManagementService;
import org.opendsi.keys.ProcessCredentials;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Authentication and key management as hot-swappable services: their configuration changes apply
 * live (etc/*.cfg edited as an operator would; fileinstall applies them), stopping one degrades what
 * depends on it as dsi:services says, and starting it again restores it.
 * <p>
 * Certificates are asked for as a process would: {@code java ... AuthClient SOCKET DIR} (the client
 * shipped in dsi-service-authentication) started in a bash that is moved into context 10 before it
 * execs the client. That needs the real DSM (root; this test's own cgroup subtree and pin directory,
 * as in DsmCommandsIT): without it those parts are skipped with the reason printed. What the socket
 * answers the Karaf JVM itself (outside every context: a refusal naming that) is checked either way.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class AuthKeysLifecycleIT extends DsiTestSupport {

    private static final String TAG = System.getProperty("dsi.itest.tag", "dsi-authkeys-itest-" + ProcessHandle.current().pid());
    private static final int SCID = 10;

    /** Set up once per Karaf (statics live as long as the probe): null until then. */
    private static Boolean kernel;

    @Inject
    protected Dsm dsm;

    @Override
    protected Option[] extraOptions() {
        return realDsmOptions(TAG).toArray(new Option[0]);
    }

    @Before
    public void onceKernelAndServices() throws Exception {
        await("authentication and key management ACTIVE", () -> serviceLine("authentication").contains(" ACTIVE ")
                && serviceLine("key-management").contains(" ACTIVE "));
        if (kernel == null) {
            boolean root = "root".equals(System.getProperty("user.name"));
            kernel = root && dsm.status().available();
            if (kernel) {
                execute("dsi:policy-update " + sample("permissive.xml")); // access control creates context 10
                await("context " + SCID + " created", () -> {
                    Process p = null;
                    try {
                        p = new ProcessBuilder("sleep", "30").start();
                        dsm.movePid((int) p.pid(), SCID);
                        return dsm.contextOf((int) p.pid()) == SCID;
                    } catch (IOException | RuntimeException e) {
                        return false;
                    } finally {
                        if (p != null) {
                            p.destroyForcibly();
                        }
                    }
                });
            } else {
                System.out.println("AuthKeysLifecycleIT: SKIPPED the certificate requests from a process in context "
                        + SCID + ": " + (root ? "DSM unavailable: " + dsm.status().summary() : "not root"));
            }
        }
    }

    /** ttl.minutes and socket.path of org.opendsi.auth, changed in etc/. */
    @Test
    public void a_authenticationConfigurationAppliesLive() throws Exception {
        Path oldSocket = Path.of(auth().socketPath());
        assertTrue(oldSocket + " is not a socket", isSocket(oldSocket));
        if (kernel) {
            ClientAnswer before = requestFromContext(oldSocket);
            assertEquals(before.output, Duration.ofMinutes(60), lifetime(before.leaf()));
        }
        Path newSocket = Paths.get(System.getProperty("karaf.data"), "dsi", "auth-moved.sock");
        editCfg("org.opendsi.auth", java.util.Map.of("ttl.minutes", "5", "socket.path", newSocket.toString()));
        await("authentication listening on " + newSocket + " only", () -> isSocket(newSocket) && !Files.exists(oldSocket)
                && Path.of(auth().socketPath()).equals(newSocket));
        await("authentication registered again", () -> serviceLine("authentication").contains(" ACTIVE "));

        // the new path answers, the old one does not
        String answer = probe(newSocket);
        assertTrue(answer, answer.startsWith("REFUSED process " + ProcessHandle.current().pid()
                + " is not in a DSI security context"));
        answer = probe(oldSocket);
        assertTrue(answer, answer.startsWith("NO ANSWER"));

        if (kernel) {
            await("a certificate for 5 minutes from " + newSocket, () -> {
                ClientAnswer a = requestFromContext(newSocket);
                return a.leaf() != null && lifetime(a.leaf()).equals(Duration.ofMinutes(5));
            });
            ClientAnswer a = requestFromContext(newSocket);
            assertTrue(a.output, a.output.contains("/scid/" + SCID + " valid until"));
            assertEquals("spiffe://" + keys().cluster() + "/node/" + keys().nodeKeys().snid() + "/scid/" + SCID, a.leafId());
            ClientAnswer old = requestFromContext(oldSocket);
            assertEquals(old.output, 1, old.exit); // the client fails to connect: no answer, no certificate
            assertFalse(old.output, old.output.contains("refused:"));
        }
    }

    /** process.ttl.minutes and key.algorithm of org.opendsi.keys, changed in etc/. */
    @Test
    public void b_keyManagementConfigurationAppliesLive() throws Exception {
        ProcessCredentials before = keys().issueProcessCredentials(SCID, null);
        assertEquals(Duration.ofMinutes(60), lifetime(before.chain().get(0)));
        assertEquals("EC", before.chain().get(0).getPublicKey().getAlgorithm());

        editCfg("org.opendsi.keys", java.util.Map.of("process.ttl.minutes", "7", "key.algorithm", "rsa-3072"));
        await("process credentials for 7 minutes with RSA-3072 keys by default", () -> {
            X509Certificate leaf = keys().issueProcessCredentials(SCID, null).chain().get(0);
            return lifetime(leaf).equals(Duration.ofMinutes(7)) && leaf.getPublicKey() instanceof RSAPublicKey rsa
                    && rsa.getModulus().bitLength() == 3072;
        });
        // key management reconfigured in place: it stays registered and authentication keeps working with it
        assertTrue(serviceLine("key-management"), serviceLine("key-management").contains(" ACTIVE "));
        assertTrue(serviceLine("authentication"), serviceLine("authentication").contains(" ACTIVE "));
        if (kernel) {
            ClientAnswer a = requestFromContext(socket());
            assertNotNull(a.output, a.leaf());
            assertEquals(a.output, authTtl(), lifetime(a.leaf())); // authentication's own ttl.minutes, not 7
        }
    }

    /** The authentication bundle stopped: MISSING, no socket; started again: certificates again. */
    @Test
    public void c_authenticationStoppedThenStarted() throws Exception {
        Path socket = socket();
        Bundle authBundle = bundle("dsi-service-authentication");
        try {
            authBundle.stop();
            await("authentication MISSING", () -> serviceLine("authentication").contains(" MISSING "));
            assertTrue(serviceLine("key-management"), serviceLine("key-management").contains(" ACTIVE "));
            assertFalse("the socket is gone while authentication is stopped", Files.exists(socket));
            String answer = probe(socket);
            assertTrue(answer, answer.startsWith("NO ANSWER"));
            if (kernel) {
                ClientAnswer a = requestFromContext(socket);
                assertEquals(a.output, 1, a.exit);
                assertTrue(a.output, a.output.contains("Exception"));
            }
        } finally {
            authBundle.start();
        }
        await("authentication ACTIVE again on " + socket, () -> serviceLine("authentication").contains(" ACTIVE ") && isSocket(socket));
        if (kernel) {
            ClientAnswer a = requestFromContext(socket);
            assertNotNull(a.output, a.leaf());
            assertEquals(authTtl(), lifetime(a.leaf()));
        } else {
            String answer = probe(socket);
            assertTrue(answer, answer.startsWith("REFUSED process"));
        }
    }

    /**
     * The key-management bundle stopped: authentication cannot issue without the node CA, so it is
     * DEGRADED (still registered, its socket still answers) and refuses with that reason; key
     * management started again: both ACTIVE and certificates again.
     */
    @Test
    public void d_keyManagementStoppedThenStarted() throws Exception {
        try {
            keyManagementStoppedThenStarted();
        } finally { // the last test: leave the kernel as found (detach.on.stop also does it when Karaf stops)
            if (dsm.status().available()) {
                dsm.detach();
            }
        }
    }

    private void keyManagementStoppedThenStarted() throws Exception {
        Path socket = socket();
        Bundle keysBundle = bundle("dsi-service-key-management");
        try {
            keysBundle.stop();
            await("key-management MISSING, authentication DEGRADED", () -> serviceLine("key-management").contains(" MISSING ")
                    && serviceLine("authentication").contains(" DEGRADED "));
            String auth = serviceLine("authentication");
            assertTrue(auth, auth.contains("key-management (missing)"));
            assertTrue("authentication keeps its socket", isSocket(socket));
            String reason = "key management is not available on this node";
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(256);
                auth().issueFor((int) ProcessHandle.current().pid(), g.generateKeyPair().getPublic());
                fail("a certificate without key management");
            } catch (AuthenticationException e) {
                // the Karaf JVM is outside every context: that is checked first
                assertTrue(e.getMessage(), e.getMessage().contains("is not in a DSI security context"));
            }
            if (kernel) {
                ClientAnswer a = requestFromContext(socket);
                assertEquals(a.output, 2, a.exit);
                assertTrue(a.output, a.output.startsWith("refused: " + reason));
            } else {
                String answer = probe(socket);
                assertTrue(answer, answer.startsWith("REFUSED process"));
            }
        } finally {
            keysBundle.start();
        }
        await("key-management and authentication ACTIVE again", () -> serviceLine("key-management").contains(" ACTIVE ")
                && serviceLine("authentication").contains(" ACTIVE "));
        assertTrue(serviceLine("authentication"), serviceLine("authentication").trim().endsWith("key-management"));
        if (kernel) {
            ClientAnswer a = requestFromContext(socket);
            assertNotNull(a.output, a.leaf());
            assertEquals("spiffe://" + keys().cluster() + "/node/" + keys().nodeKeys().snid() + "/scid/" + SCID, a.leafId());
            assertEquals(authTtl(), lifetime(a.leaf()));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What the AuthClient program printed and, when it got one, its certificate. */
    private record ClientAnswer(int exit, String output, X509Certificate leaf) {
        String leafId() {
            return leaf == null ? "(no certificate: " + output + ")"
                    : AuthClient.PeerId.of(leaf).map(p -> p.uri().toString()).orElse("(no DSI id)");
        }
    }

    /**
     * Runs {@code java -cp dsi-service-authentication.jar org.opendsi.auth.client.AuthClient socket dir}
     * in context 10: a bash waits until it has been moved there, then execs the client (same pid).
     */
    private ClientAnswer requestFromContext(Path socket) throws Exception {
        Path dir = Files.createTempDirectory(Paths.get(System.getProperty("karaf.data")), "authclient");
        String javaBin = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("bash", "-c", "read x; exec \"$0\" -Xshare:auto -XX:TieredStopAtLevel=1 -cp \"$1\" "
                + "org.opendsi.auth.client.AuthClient \"$2\" \"$3\"", javaBin, clientJar().toString(), socket.toString(),
                dir.toString()).redirectErrorStream(true).start();
        try {
            dsm.movePid((int) p.pid(), SCID);
            assertEquals(SCID, dsm.contextOf((int) p.pid()));
            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue("the client did not finish: " + out, p.waitFor(60, TimeUnit.SECONDS));
            X509Certificate leaf = null;
            Path chain = dir.resolve("chain.pem");
            if (p.exitValue() == 0 && Files.exists(chain)) {
                leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(chain))).iterator().next();
            }
            return new ClientAnswer(p.exitValue(), out, leaf);
        } finally {
            p.destroyForcibly().waitFor();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The authentication bundle's jar as the distribution ships it (system/). */
    private static Path clientJar() throws IOException {
        Path base = Paths.get(System.getProperty("karaf.home"), "system", "org", "opendsi", "dsi-service-authentication");
        try (Stream<Path> s = Files.walk(base)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no dsi-service-authentication jar under " + base));
        }
    }

    /** What the socket answers the Karaf JVM: CERTIFICATE, REFUSED reason, or NO ANSWER exception. */
    private static String probe(Path socket) {
        try {
            AuthClient.request(socket);
            return "CERTIFICATE";
        } catch (AuthClient.RefusedException e) {
            return "REFUSED " + e.getMessage();
        } catch (IOException | GeneralSecurityException e) {
            return "NO ANSWER " + e;
        }
    }

    private Path socket() {
        Path s = Path.of(auth().socketPath());
        assertTrue(s + " is not a socket", isSocket(s));
        return s;
    }

    /** authentication's ttl.minutes as etc/org.opendsi.auth.cfg says (60 if absent). */
    private static Duration authTtl() throws IOException {
        Path cfg = Paths.get(System.getProperty("karaf.etc"), "org.opendsi.auth.cfg");
        for (String l : Files.readAllLines(cfg)) {
            if (l.matches("\\s*ttl\\.minutes\\s*=.*")) {
                return Duration.ofMinutes(Long.parseLong(l.substring(l.indexOf('=') + 1).trim()));
            }
        }
        return Duration.ofMinutes(60);
    }

    private AuthenticationService auth() {
        return service(AuthenticationService.class);
    }

    private KeyManagementService keys() {
        return service(KeyManagementService.class);
    }

    private <T> T service(Class<T> type) {
        ServiceTracker<T, T> t = new ServiceTracker<>(bundleContext, type, null);
        t.open();
        try {
            T s = t.waitForService(20_000);
            assertNotNull("no " + type.getSimpleName(), s);
            return s;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            t.close();
        }
    }

    /** From now (just after issue) to notAfter, to the minute (notBefore is back-dated for clock skew). */
    private static Duration lifetime(X509Certificate c) {
        long ms = c.getNotAfter().getTime() - System.currentTimeMillis();
        return Duration.ofMinutes(Math.round(ms / 60_000.0));
    }

    private static boolean isSocket(Path p) {
        try {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isOther();
        } catch (IOException e) {
            return false;
        }
    }
}
