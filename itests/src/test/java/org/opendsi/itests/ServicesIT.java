package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

import java.util.List;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.opendsi.dsm.Dsm;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * Security services as hot-swappable bundles: dsi:services lists the presence announcements;
 * stopping the access control bundle makes it MISSING while the kernel keeps its table; starting
 * it again restores it; labels change live; decisions over access.sock follow policy changes.
 * With root, the real DSM is attached to this test's own cgroup subtree and pin directory (as in
 * DsmCommandsIT) and a context's new connect() is refused after a denying policy is loaded;
 * without root those parts are skipped and the reason printed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServicesIT extends DsiTestSupport {

    private static final String TAG = System.getProperty("dsi.itest.tag", "dsi-svc-itest-" + ProcessHandle.current().pid());

    @Inject
    protected Dsm dsm;

    @Override
    protected Option[] extraOptions() {
        List<Option> o = new java.util.ArrayList<>(realDsmOptions(TAG));
        o.add(editConfigurationFilePut("etc/org.opendsi.access.cfg", "labels.poll.seconds", "1"));
        return o.toArray(new Option[0]);
    }

    private boolean realDsm() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !dsm.status().available()) {
            System.out.println("SKIPPED kernel part of ServicesIT: " + (root ? dsm.status().summary() : "not root"));
            return false;
        }
        return true;
    }

    private String services() {
        try {
            return execute("dsi:services --no-format");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String ask(String line) throws Exception {
        Path sock = Paths.get(System.getProperty("karaf.data"), "dsi", "access.sock");
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            OutputStream out = Channels.newOutputStream(ch);
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    public void servicesAreListedSwappedAndReconfiguredLive() throws Exception {
        boolean kernel = realDsm();
        try {
            String all = services();
            System.out.println(all);
            String acs = serviceLine("access-control");
            assertTrue(acs, acs.contains("1.0.0") && acs.contains("dsi-service-access-control")
                    && acs.contains("AccessControlComponent") && acs.contains("auditing"));
            assertTrue(acs, acs.contains("ACTIVE") || acs.contains("DEGRADED"));
            String keys = serviceLine("key-management");
            assertTrue(keys, keys.contains("dsi-service-key-management") && keys.contains("ACTIVE"));
            for (String other : new String[] {"auditing", "authentication"}) {
                String l = serviceLine(other);
                assertTrue(l, l.contains("ACTIVE") || l.contains("DEGRADED") || l.contains("MISSING"));
            }

            // decisions over access.sock follow policy changes
            execute("dsi:policy-update " + sample("permissive.xml"));
            assertTrue(ask("DECIDE 10 1 20 connect").startsWith("ALLOW"));
            String update = execute("dsi:policy-update " + sample("boot.xml"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Policy version (\\d+)").matcher(update);
            assertTrue(update, m.find());
            long version = Long.parseLong(m.group(1));
            assertEquals("DENY 0 0", ask("DECIDE 10 1 20 connect"));
            assertEquals("VERSION " + version, ask("VERSION"));
            if (kernel) {
                assertEquals(version, dsm.tableVersion());
            }

            // hot swap: stop access control -> MISSING, the kernel keeps its table; start -> back
            Bundle b = bundle("dsi-service-access-control");
            b.stop();
            await("access-control MISSING", () -> serviceLine("access-control").contains("MISSING"));
            if (kernel) {
                assertEquals("the kernel keeps the table while access control is away", version, dsm.tableVersion());
                assertTrue(dsm.status().available());
            }
            b.start();
            await("access-control back", () -> !serviceLine("access-control").contains("MISSING"));
            assertTrue(serviceLine("access-control").contains("dsi-service-access-control"));
            if (kernel) {
                assertEquals(version, dsm.tableVersion());
            }
            await("socket back", () -> {
                try {
                    return ask("VERSION").equals("VERSION " + version);
                } catch (Exception e) {
                    return false;
                }
            });

            if (!kernel) {
                return;
            }
            // labels applied live from the configuration
            Path dir = Files.createTempDirectory("dsi-acs");
            Path bin = dir.resolve("PhoneManiaEP");
            Files.copy(Path.of("/bin/true"), bin, StandardCopyOption.REPLACE_EXISTING);
            setLabels(bin + " = 10");
            await("label 10 on " + bin, () -> dsm.readLabel(bin) == 10);
            setLabels("");
            await("label removed from " + bin, () -> dsm.readLabel(bin) == 0);

            // pre-emptive security: a context's connect() is refused once a denying policy is in force
            execute("dsi:policy-update " + sample("permissive.xml"));
            assertTrue("context 10 created by access control", dsm.processes() != null);
            try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Thread acceptor = new Thread(() -> {
                    while (!ss.isClosed()) {
                        try {
                            ss.accept().close();
                        } catch (Exception e) {
                            return;
                        }
                    }
                });
                acceptor.setDaemon(true);
                acceptor.start();
                assertEquals("OK", connectFromContext(10, ss.getLocalPort()));
                execute("dsi:policy-update " + sample("boot.xml"));
                assertEquals("FAIL", connectFromContext(10, ss.getLocalPort()));
            }
        } finally {
            if (dsm.status().available()) {
                dsm.detach();
            }
        }
    }

    /**
     * Access control needs auditing: with auditing stopped, access control is DEGRADED and what it
     * does to the kernel (here: loading a new policy) waits; when auditing starts again the record
     * is in the journal. No kernel needed: without one the record says the load failed.
     */
    @Test
    public void accessControlEventsWaitForAuditingAndArriveWhenItReturns() throws Exception {
        Bundle auditing = bundle("dsi-service-auditing");
        auditing.stop();
        try {
            await("auditing MISSING", () -> serviceLine("auditing").contains("MISSING"));
            String acs = serviceLine("access-control");
            assertTrue(acs, acs.contains("DEGRADED") && acs.contains("auditing (missing)"));
            String update = execute("dsi:policy-update " + sample("permissive.xml"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Policy version (\\d+)").matcher(update);
            assertTrue(update, m.find());
            String version = m.group(1);
            await("access control applied version " + version, () -> {
                try {
                    return ask("VERSION").equals("VERSION " + version);
                } catch (Exception e) {
                    return false;
                }
            });
            auditing.start();
            await("auditing ACTIVE", () -> serviceLine("auditing").contains("ACTIVE"));
            await("access-control ACTIVE again", () -> serviceLine("access-control").contains("ACTIVE"));
            String needle = "policy version " + version + " (";
            await("the POLICY_LOADED record of version " + version + " in the journal", () -> {
                try {
                    for (String l : execute("dsi:audit --no-format --limit 0").split("\\R")) {
                        if (l.contains("POLICY_LOADED") && l.contains(needle) && l.contains("Access control")) {
                            System.out.println("journal: " + l.trim());
                            return true;
                        }
                    }
                    return false;
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            if (auditing.getState() != Bundle.ACTIVE) {
                auditing.start();
            }
        }
    }

    /** Edits etc/org.opendsi.access.cfg as an operator would; fileinstall applies it live. */
    private static void setLabels(String value) throws Exception {
        editCfg("org.opendsi.access", "labels", value);
    }

    /** A bash moved into context scid before it connects to 127.0.0.1:port: OK or FAIL. */
    private String connectFromContext(int scid, int port) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "read x; if (exec 3<>/dev/tcp/127.0.0.1/" + port
                + ") 2>/dev/null; then echo OK; else echo FAIL; fi").redirectErrorStream(true).start();
        try {
            dsm.movePid((int) p.pid(), scid);
            assertEquals(scid, dsm.contextOf((int) p.pid()));
            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            String out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertNotNull(out);
            return out.trim();
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
