package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.opendsi.api.auth.AuthenticationService;
import org.opendsi.api.auth.ProcessCertificate;
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
 * live (edited in etc/ as an operator would), stopping one degrades what depends on it as
 * dsi:services says, and starting it again restores it. Certificates for a process need the real
 * DSM (root, as in DsmCommandsIT: this test's own cgroup subtree and pin directory); without it
 * those parts are skipped and the reason printed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AuthKeysLifecycleIT extends DsiTestSupport {

    private static final String TAG = System.getProperty("dsi.itest.tag", "dsi-authkeys-itest-" + ProcessHandle.current().pid());

    @Inject
    protected Dsm dsm;

    @Override
    protected Option[] extraOptions() {
        return realDsmOptions(TAG).toArray(new Option[0]);
    }

    @Test
    public void configurationChangesApplyLiveAndStoppedServicesDegradeAndRestore() throws Exception {
        boolean kernel = "root".equals(System.getProperty("user.name")) && dsm.status().available();
        if (!kernel) {
            System.out.println("SKIPPED certificate parts of AuthKeysLifecycleIT: "
                    + ("root".equals(System.getProperty("user.name")) ? dsm.status().summary() : "not root"));
        }
        Process member = null;
        try {
            await("authentication and key management ACTIVE", () -> line("authentication").contains("ACTIVE")
                    && line("key-management").contains("ACTIVE"));
            if (kernel) {
                execute("dsi:policy-update " + sample("permissive.xml")); // access control creates context 10
                member = new ProcessBuilder("sleep", "300").start();
                int pid = (int) member.pid();
                await("process in context 10", () -> {
                    try {
                        dsm.movePid(pid, 10);
                        return dsm.contextOf(pid) == 10;
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
                assertEquals(Duration.ofMinutes(60), lifetime(certificateFor(pid)));
            }

            // 1. authentication: a shorter certificate lifetime and another socket, live
            Path oldSocket = Path.of(auth().socketPath());
            Path newSocket = Paths.get(System.getProperty("karaf.data"), "dsi", "auth-moved.sock");
            editCfg("org.opendsi.auth", "ttl.minutes", "5");
            editCfg("org.opendsi.auth", "socket.path", newSocket.toString());
            await("authentication listening on " + newSocket, () -> isSocket(newSocket) && !Files.exists(oldSocket)
                    && Path.of(auth().socketPath()).equals(newSocket));
            if (kernel) {
                int pid = (int) member.pid();
                await("certificates for 5 minutes", () -> lifetime(certificateFor(pid)).equals(Duration.ofMinutes(5)));
                ProcessCertificate c = certificateFor(pid);
                assertTrue(c.spiffeId(), c.spiffeId().endsWith("/scid/10"));
            }

            // 2. key management: the default lifetime of process credentials, live
            assertEquals(Duration.ofMinutes(60), lifetime(keys().issueProcessCredentials(10, null).chain().get(0)));
            editCfg("org.opendsi.keys", "process.ttl.minutes", "7");
            await("process credentials for 7 minutes by default", () -> {
                ProcessCredentials pc = keys().issueProcessCredentials(10, null);
                return lifetime(pc.chain().get(0)).equals(Duration.ofMinutes(7));
            });

            // 3. authentication stopped: MISSING, no socket; started: back
            Bundle authBundle = bundle("dsi-service-authentication");
            authBundle.stop();
            await("authentication MISSING", () -> line("authentication").contains("MISSING"));
            assertTrue("the socket is gone while authentication is stopped", !Files.exists(newSocket));
            authBundle.start();
            await("authentication ACTIVE again", () -> line("authentication").contains("ACTIVE") && isSocket(newSocket));
            if (kernel) {
                assertEquals(Duration.ofMinutes(5), lifetime(certificateFor((int) member.pid())));
            }

            // 4. key management stopped: authentication cannot work without it (its certificates come
            //    from the node CA), so it is withdrawn too; both come back with key management
            Bundle keysBundle = bundle("dsi-service-key-management");
            keysBundle.stop();
            await("key-management MISSING, authentication withdrawn", () -> line("key-management").contains("MISSING")
                    && line("authentication").contains("MISSING"));
            String auth = line("authentication");
            assertTrue(auth, auth.contains("key-management (missing)"));
            assertTrue("no authentication socket without key management", !Files.exists(newSocket));
            keysBundle.start();
            await("key-management and authentication ACTIVE again", () -> line("key-management").contains("ACTIVE")
                    && line("authentication").contains("ACTIVE") && isSocket(newSocket));
            if (kernel) {
                ProcessCertificate c = certificateFor((int) member.pid());
                assertEquals(10, c.scid());
                assertEquals(Duration.ofMinutes(5), lifetime(c));
            }
        } finally {
            if (member != null) {
                member.destroyForcibly().waitFor();
            }
            for (String bsn : new String[] {"dsi-service-key-management", "dsi-service-authentication"}) {
                Bundle b = bundle(bsn);
                if (b.getState() != Bundle.ACTIVE) {
                    b.start();
                }
            }
            if (dsm.status().available()) {
                dsm.detach();
            }
        }
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

    private ProcessCertificate certificateFor(int pid) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            KeyPair kp = g.generateKeyPair();
            return auth().issueFor(pid, kp.getPublic());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Duration lifetime(ProcessCertificate c) {
        return lifetime(c.leaf());
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
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Sets key = value in etc/PID.cfg as an operator would; fileinstall applies it. */
    private static void editCfg(String pid, String key, String value) throws Exception {
        Path cfg = Paths.get(System.getProperty("karaf.etc"), pid + ".cfg");
        List<String> lines = Files.exists(cfg) ? Files.readAllLines(cfg) : List.of();
        StringBuilder out = new StringBuilder();
        boolean done = false;
        for (String l : lines) {
            if (l.matches("\\s*" + java.util.regex.Pattern.quote(key) + "\\s*=.*")) {
                l = key + " = " + value;
                done = true;
            }
            out.append(l).append('\n');
        }
        if (!done) {
            out.append(key).append(" = ").append(value).append('\n');
        }
        Files.writeString(cfg, out.toString());
    }

    private String line(String type) {
        String all;
        try {
            all = execute("dsi:services --no-format");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        for (String l : all.split("\\R")) {
            if (l.trim().split("\\s+")[0].equals(type)) {
                return l;
            }
        }
        throw new AssertionError("no line for " + type + " in\n" + all);
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : bundleContext.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            boolean ok;
            try {
                ok = cond.getAsBoolean();
            } catch (RuntimeException e) {
                ok = false;
            }
            if (ok) {
                return;
            }
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
