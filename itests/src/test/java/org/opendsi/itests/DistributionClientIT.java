package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The distribution as an operator runs it: unpacked, started with bin/karaf server, and driven by
 * scripts through bin/client (the way the README and CI use it). No Pax Exam here.
 */
public class DistributionClientIT {

    private static Path home;
    private static Process karaf;
    private static int sshPort;
    /** What dsi:policy printed right after boot, before any test changed the policy. */
    private static String policyAtBoot;

    @BeforeClass
    public static void startDistribution() throws Exception {
        Path work = Path.of("target/client-it").toAbsolutePath();
        deleteTree(work);
        Files.createDirectories(work);
        run(work, 60, "tar", "xzf", System.getProperty("dsi.distribution"), "-C", work.toString());
        try (var dirs = Files.list(work)) {
            home = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        sshPort = freePort();
        setProperty(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort", Integer.toString(sshPort));
        setProperty(home.resolve("etc/org.apache.karaf.management.cfg"), "rmiRegistryPort", Integer.toString(freePort()));
        setProperty(home.resolve("etc/org.apache.karaf.management.cfg"), "rmiServerPort", Integer.toString(freePort()));
        // never attach kernel programs to the test machine from this test
        Files.writeString(home.resolve("etc/org.opendsi.dsm.cfg"), "enabled = false\n");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("karaf-console.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        karaf = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String last = "";
        while (System.nanoTime() < deadline) {
            last = client("dsi:policy -s");
            if (last.contains("Policy version")) {
                policyAtBoot = last;
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("distribution did not answer dsi:policy within 120 s; last output:\n" + last
                + "\nconsole:\n" + Files.readString(home.resolve("karaf-console.log")));
    }

    @AfterClass
    public static void stopDistribution() throws Exception {
        if (karaf != null) {
            karaf.destroy();
            if (!karaf.waitFor(30, TimeUnit.SECONDS)) {
                karaf.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    public void bootsWithTheBootPolicyAndAnswersScripts() throws Exception {
        assertTrue(policyAtBoot, policyAtBoot.contains("Policy version 1 ") && policyAtBoot.contains("boot.xml"));
        String check = client("dsi:check 10 1 20 receive");
        assertTrue(check, check.contains("DENY 10@1 -> 20 receive"));
    }

    @Test
    public void scriptedPolicyUpdateAndCheck() throws Exception {
        String update = client("dsi:policy-update etc/dsi/virtual-zones.xml");
        assertTrue(update, update.contains("is now current"));
        assertTrue(client("dsi:check 10 1 10 receive").contains("ALLOW 10@1 -> 10 receive"));
        assertTrue(client("dsi:check 10 1 20 receive").contains("DENY 10@1 -> 20 receive"));
        String history = client("dsi:policy-history --no-format");
        assertTrue(history, history.contains("virtual-zones"));
    }

    /** Runs one command through bin/client the way scripts must (KARAF-NOTES.md pitfall 6). */
    private static String client(String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/client").toString(), "-b", "-r", "3", "-d", "1",
                "-a", Integer.toString(sshPort), "-u", "karaf", "-p", "karaf")
                .directory(home.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static void run(Path dir, int seconds, String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).inheritIO().start();
        assertTrue(String.join(" ", cmd) + " timed out", p.waitFor(seconds, TimeUnit.SECONDS));
        assertEquals(String.join(" ", cmd), 0, p.exitValue());
    }

    private static void setProperty(Path cfg, String key, String value) throws IOException {
        List<String> lines = Files.readAllLines(cfg);
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("\\s*" + key + "\\s*=.*")) {
                lines.set(i, key + " = " + value);
                found = true;
            }
        }
        if (!found) {
            lines.add(key + " = " + value);
        }
        Files.write(cfg, lines);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
