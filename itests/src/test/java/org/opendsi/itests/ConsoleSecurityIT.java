package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;
import org.opendsi.itests.process.KarafNode;

/**
 * The console as an attacker who reaches a node finds it (issue 14, part 1): the distribution started
 * as an operator starts it, logged into over real SSH with bin/client. No well-known password, the
 * console and JMX on loopback only, the generated administrator's credentials owner-only, a viewer
 * that can read but change nothing, an unlisted key refused.
 */
public class ConsoleSecurityIT {

    private static final String REFUSED_LOGIN = "No more authentication methods available";
    private static KarafNode node;

    @BeforeClass
    public static void startDistribution() throws Exception {
        node = KarafNode.unpack("console-it", Path.of("target/process-nodes"));
        node.start();
    }

    @AfterClass
    public static void stopDistribution() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    @Test
    public void wellKnownPasswordsAreRefused() throws Exception {
        for (String[] login : new String[][] {{"karaf", "karaf"}, {"admin", "admin"}, {"admin", "karaf"}}) {
            String out = node.clientWith("dsi:policy -s", "-u", login[0], "-p", login[1]);
            assertFalse(String.join("/", login) + " logged in:\n" + out, out.contains("Policy version"));
            assertTrue(out, out.contains(REFUSED_LOGIN));
        }
    }

    @Test
    public void theGeneratedAdministratorLogsInWithItsPasswordOrKeyFromOwnerOnlyFiles() throws Exception {
        String password = node.adminPassword();
        assertTrue(password, password.matches("[A-Za-z0-9]{24}"));
        assertTrue(node.clientWith("dsi:policy -s", "-u", "admin", "-p", password).contains("Policy version"));
        assertTrue(node.client("dsi:policy -s").contains("Policy version"));
        Path dir = node.home().resolve("etc/dsi/console");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        for (Path f : List.of(dir.resolve("admin.password"), node.adminKey(), node.home().resolve("etc/users.properties"),
                node.home().resolve("etc/keys.properties"))) {
            assertEquals(f.toString(), "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
        String users = Files.readString(node.home().resolve("etc/users.properties"));
        assertFalse("users.properties keeps a digest, not the password", users.contains(password));
        assertTrue(users, users.matches("(?s).*\\nadmin = \\{CRYPT\\}[0-9A-Fa-f]{128}\\{CRYPT\\},_g_:admingroup.*"));
        assertTrue("printed once on the console", Files.readString(node.home().resolve("console.log")).contains(password));
    }

    @Test
    public void consoleAndJmxListenOnLoopbackOnly() throws Exception {
        List<Integer> ports = new ArrayList<>(List.of(node.sshPort()));
        for (String line : Files.readAllLines(node.home().resolve("etc/org.apache.karaf.management.cfg"))) {
            if (line.matches("\\s*rmi(Registry|Server)Port\\s*=\\s*\\d+\\s*")) {
                ports.add(Integer.parseInt(line.replaceAll("\\D", "")));
            }
        }
        assertEquals("ssh, rmi registry, rmi server", 3, ports.size());
        for (int port : ports) {
            List<InetAddress> listening = listeners(port);
            assertFalse("something listens on " + port, listening.isEmpty());
            for (InetAddress a : listening) {
                assertTrue("port " + port + " listens on " + a, a.isLoopbackAddress());
            }
        }
    }

    @Test
    public void aKeyThatIsNotListedIsRefused() throws Exception {
        Assume.assumeTrue("SKIPPED: /usr/bin/ssh-keygen (Debian package openssh-client) is not installed",
                Files.isExecutable(Path.of("/usr/bin/ssh-keygen")));
        Path key = node.home().resolve("stranger.key");
        Process p = new ProcessBuilder("/usr/bin/ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-f",
                key.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        for (String user : new String[] {"admin", "stranger"}) {
            String out = node.clientWith("dsi:policy -s", "-u", user, "-k", key.toString());
            assertFalse(out, out.contains("Policy version"));
            assertTrue(out, out.contains(REFUSED_LOGIN));
        }
    }

    @Test
    public void aViewerReadsButChangesNothing() throws Exception {
        Files.writeString(node.home().resolve("etc/users.properties"), "ana = ana-viewer-pw,_g_:viewergroup\n",
                StandardOpenOption.APPEND);
        String before = node.client("dsi:policy -s").lines().findFirst().orElse("");
        assertTrue(before, before.startsWith("Policy version"));

        assertTrue(viewer("dsi:policy -s").contains("Policy version"));
        assertTrue(viewer("dsi:check 10 1 20 receive").contains("DENY"));
        assertTrue(viewer("dsi:nodes").contains("SnID"));
        assertTrue(viewer("dsi:dsm").contains("status"));
        for (String change : new String[] {"dsi:policy-update etc/dsi/permissive.xml", "dsi:policy-rollback 1",
                "dsi:policy-check /etc/shadow", "dsi:set-sid etc/dsi/boot.xml 10", "dsi:dsm --detach",
                "dsi:token-create", "dsi:compromised 7", "dsi:set-node-id 9", "dsi:alarm-raise forged",
                "dsi:alarms --ack 0123456789", "shell:exec id", "config:edit org.opendsi.dsm"}) {
            String out = viewer(change);
            assertTrue(change + " ran for a viewer:\n" + out,
                    out.contains("Insufficient credentials") || out.contains("Command not found"));
        }
        assertEquals("the viewer changed nothing", before, node.client("dsi:policy -s").lines().findFirst().orElse(""));
        assertFalse(node.client("dsi:alarms --no-format").contains("forged"));
    }

    private static String viewer(String command) throws Exception {
        return node.clientWith(command, "-u", "ana", "-p", "ana-viewer-pw");
    }

    /** Local addresses of the TCP sockets listening on {@code port} (from /proc/net/tcp and tcp6). */
    private static List<InetAddress> listeners(int port) throws Exception {
        List<InetAddress> out = new ArrayList<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path f = Path.of(table);
            if (!Files.exists(f)) {
                continue;
            }
            for (String line : Files.readAllLines(f).subList(1, Files.readAllLines(f).size())) {
                String[] col = line.trim().split("\\s+");
                String[] local = col[1].split(":");
                if (!"0A".equals(col[3]) || Integer.parseInt(local[1], 16) != port) {
                    continue; // not LISTEN on that port
                }
                out.add(InetAddress.getByAddress(procAddress(local[0])));
            }
        }
        return out;
    }

    /** /proc/net/tcp* print an address as 32-bit words in host (little-endian) order. */
    private static byte[] procAddress(String hex) {
        byte[] raw = HexFormat.of().parseHex(hex);
        byte[] a = new byte[raw.length];
        for (int w = 0; w < raw.length; w += 4) {
            for (int i = 0; i < 4; i++) {
                a[w + i] = raw[w + 3 - i];
            }
        }
        return a;
    }
}
