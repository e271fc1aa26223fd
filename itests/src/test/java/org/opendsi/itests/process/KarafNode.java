package org.opendsi.itests.process;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One unpacked copy of the DSI distribution run as its own process (bin/karaf server) and driven
 * through bin/client, as an operator's scripts do. Each node has its own ports and data folder
 * (KARAF-NOTES.md pitfall 8), so several run side by side on one machine.
 */
public final class KarafNode implements AutoCloseable {

    private final String name;
    private final Path home;
    private final int sshPort;
    private Process process;

    private KarafNode(String name, Path home, int sshPort) {
        this.name = name;
        this.home = home;
        this.sshPort = sshPort;
    }

    /** Unpacks the distribution archive into workDir/name with free SSH and RMI ports and the DSM disabled. */
    public static KarafNode unpack(String name, Path workDir) throws Exception {
        Path dir = workDir.resolve(name).toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        run(dir, 60, "tar", "xzf", System.getProperty("dsi.distribution"), "-C", dir.toString(),
                "--strip-components=1");
        KarafNode node = new KarafNode(name, dir, freePort());
        node.set("org.apache.karaf.shell", "sshPort", Integer.toString(node.sshPort));
        node.set("org.apache.karaf.management", "rmiRegistryPort", Integer.toString(freePort()));
        node.set("org.apache.karaf.management", "rmiServerPort", Integer.toString(freePort()));
        node.set("org.ops4j.pax.web", "org.osgi.service.http.port", Integer.toString(freePort()));   // /metrics
        // process tests never attach kernel programs to the test machine
        node.set("org.opendsi.dsm", "enabled", "false");
        return node;
    }

    public String name() {
        return name;
    }

    public Path home() {
        return home;
    }

    /** Sets key = value in etc/PID.cfg (created if missing). Takes effect at start, or live via fileinstall. */
    public void set(String pid, String key, String value) throws IOException {
        Path cfg = home.resolve("etc/" + pid + ".cfg");
        List<String> lines = Files.exists(cfg) ? new ArrayList<>(Files.readAllLines(cfg)) : new ArrayList<>();
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("\\s*#?\\s*" + java.util.regex.Pattern.quote(key) + "\\s*=.*")) {
                lines.set(i, key + " = " + value);
                found = true;
            }
        }
        if (!found) {
            lines.add(key + " = " + value);
        }
        Files.write(cfg, lines);
    }

    /** Starts bin/karaf server and waits until a dsi: command answers. */
    public void start() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("console.log").toFile()));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        process = pb.start();
        awaitOutput("dsi:policy -s", out -> out.contains("Policy version") || out.contains("No policy loaded"), 120);
    }

    /** Runs a command until its output satisfies the predicate; fails with the last output after the timeout. */
    public String awaitOutput(String command, Predicate<String> ok, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + "\n" + log());
            }
            last = client(command);
            if (ok.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(name + ": '" + command + "' did not give the expected output within " + seconds
                + " s; last output:\n" + last + "\n--- log ---\n" + log());
    }

    /**
     * Runs one command through bin/client (KARAF-NOTES.md pitfall 6) as the administrator the node
     * created at its first start, with its key (etc/dsi/console/admin.key), and returns what it printed.
     */
    public String client(String command) throws Exception {
        return clientWith(command, "-u", "admin", "-k", adminKey().toString());
    }

    /** The key of the administrator created at the first start (absent until the node started once). */
    public Path adminKey() {
        return home.resolve("etc/dsi/console/admin.key");
    }

    /** Its password, as printed once on the console. */
    public String adminPassword() throws IOException {
        return Files.readString(home.resolve("etc/dsi/console/admin.password")).trim();
    }

    public int sshPort() {
        return sshPort;
    }

    /** Runs one command through bin/client logged in with the given options (-u USER -p PASSWORD, -k KEY). */
    public String clientWith(String command, String... login) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/client").toString(), "-b", "-r", "3", "-d", "1",
                "-a", Integer.toString(sshPort)));
        cmd.addAll(List.of(login));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out;
    }

    /** The tail of the node's karaf.log and console output, for failure messages. */
    public String log() {
        StringBuilder b = new StringBuilder();
        for (Path p : List.of(home.resolve("data/log/karaf.log"), home.resolve("console.log"))) {
            try {
                List<String> lines = Files.readAllLines(p);
                b.append("== ").append(p).append('\n');
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(l -> b.append(l).append('\n'));
            } catch (IOException e) {
                b.append("== ").append(p).append(": ").append(e).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * Stops the node the way bin/stop would (SIGTERM), waiting for it to exit. bin/karaf runs Java as
     * a child (no exec), so the signal goes to the whole process tree, Java first.
     */
    public void stop() throws InterruptedException {
        terminate(false);
    }

    /** Kills the node abruptly (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        terminate(true);
    }

    private void terminate(boolean force) throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        for (ProcessHandle h : tree) {
            if (force) {
                h.destroyForcibly();
            } else {
                h.destroy();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (ProcessHandle h : tree) {
            while (h.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * A free port below the kernel's ephemeral range, for a listener that binds long after the port was
     * chosen (a standby's, at its takeover): a port from the ephemeral range may meanwhile be taken by some
     * connection's local end, as happened once to a standby's join port.
     */
    public static int freeListenerPort() throws IOException {
        int low = 32768;
        try {
            List<String> range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
            int read = Integer.parseInt(range.get(0).trim().split("\\s+")[0]);
            low = read >= 2048 ? read : low;
        } catch (IOException | RuntimeException e) {
            // keep Linux's default lower bound
        }
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 200; i++) {
            int port = r.nextInt(Math.max(1025, low - 12_000), low);
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port below " + low);
    }

    private static void run(Path dir, int seconds, String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).inheritIO().start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed");
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
