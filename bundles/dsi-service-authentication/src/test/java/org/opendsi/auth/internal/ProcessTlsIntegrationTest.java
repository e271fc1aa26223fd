package org.opendsi.auth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.opendsi.api.Permission;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.auth.TestPki;
import org.opendsi.auth.TlsPeer;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.internal.CgroupMounts;
import org.opendsi.dsm.internal.DsmFactory;
import org.opendsi.dsm.internal.DsmSettings;
import org.opendsi.dsm.internal.NodeIdStore;
import org.opendsi.dsm.internal.Platform;
import org.opendsi.dsm.internal.UnavailableDsm;
import org.opendsi.dsm.internal.linux.LinuxDsm;
import org.opendsi.keys.NodeKeys;

/**
 * The acceptance test of the authentication service, for real and outside OSGi: a real DSM attached
 * to its own temporary cgroup subtree (&lt;cgroup2&gt;/dsi-atest-&lt;pid&gt;, pins in
 * /sys/fs/bpf/dsi-atest-&lt;pid&gt;) with contexts 10 and 20; two authentication sockets in this JVM,
 * one per node CA (SnID 1 and 2, one cluster root); two child JVMs moved into contexts 10 and 20
 * obtain their certificates over the sockets (SO_PEERCRED -> pid -> ScID) and establish mutual TLS
 * 1.3 on loopback, each reading the other's (ScID, SnID) from the peer certificate; a third child
 * outside the subtree is refused. Skipped with the reason when not root or the DSM is unavailable;
 * children, cgroups and pins are always cleaned up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProcessTlsIntegrationTest {

    static final long PID = ProcessHandle.current().pid();
    static final String CLUSTER = "atest.cluster";

    static Path cgroupRoot;
    static Path pinDir;
    static Path work;
    static Dsm dsm;
    static NodeKeys KEYS1;
    static UnixSocketServer node1;
    static UnixSocketServer node2;
    static final List<Process> CHILDREN = new ArrayList<>();

    private static void skip(String why) {
        System.out.println("SKIPPED ProcessTlsIntegrationTest: " + why);
        assumeTrue(false, why);
    }

    @BeforeAll
    static void setUp() throws Exception {
        Platform platform = Platform.current();
        if (!platform.linux() || !platform.x86_64()) {
            skip("not Linux/x86_64");
        }
        if (platform.euid() != 0) {
            skip("not root (effective uid " + platform.euid() + "): the DSM needs root");
        }
        Path build = Path.of(System.getProperty("dsm.build.dir", "../../kernel/dsm/build")).toAbsolutePath().normalize();
        Path lib = build.resolve("libdsm.so");
        Path obj = build.resolve("dsm.bpf.o");
        if (!Files.isRegularFile(lib) || !Files.isRegularFile(obj)) {
            skip("the DSM is unavailable: " + lib + " or " + obj + " is absent (make -C kernel/dsm)");
        }
        Optional<String> mount = CgroupMounts.cgroup2Mount(platform.mountsText());
        if (mount.isEmpty()) {
            skip("the DSM is unavailable: no cgroup v2 mount");
        }
        if (!CgroupMounts.bpffsMountedAt(platform.mountsText(), "/sys/fs/bpf")) {
            skip("the DSM is unavailable: no bpffs at /sys/fs/bpf");
        }
        cgroupRoot = Path.of(mount.get(), "dsi-atest-" + PID);
        pinDir = Path.of("/sys/fs/bpf", "dsi-atest-" + PID);
        work = Path.of(System.getProperty("auth.test.work", "target/auth-test")).toAbsolutePath().resolve("it-" + PID);
        Files.createDirectories(work);
        Map<String, Object> p = new HashMap<>();
        p.put("snid", "1");
        p.put("cgroup.root", cgroupRoot.toString());
        p.put("pin.dir", pinDir.toString());
        p.put("library.path", lib.toString());
        p.put("bpf.object", obj.toString());
        p.put("exec.watch", "true");
        dsm = DsmFactory.open(DsmSettings.parse(p, platform.mountsText()), platform,
                ProcessTlsIntegrationTest.class.getClassLoader(), null, NodeIdStore.NONE, e -> { });
        if (dsm instanceof UnavailableDsm u) {
            skip("the DSM is unavailable: " + u.status().summary());
        }
        // inside contexts everything is denied until a table is loaded: allow everything here,
        // access control is not what this test is about
        int all = Permission.allMask();
        dsm.loadTable(new CompiledTable(1, new byte[32], all, all,
                List.of(new CompiledTable.Context(10, 0), new CompiledTable.Context(20, 0)),
                List.of(), List.of(), List.of(), List.of(new CompiledTable.Transition(10, 20, 20, 5)), List.of()));
        dsm.createContext(10);
        dsm.createContext(20);

        TestPki pki = new TestPki(work.resolve("pki"), CLUSTER);
        NodeKeys keys1 = pki.join(1);
        KEYS1 = keys1;
        NodeKeys keys2 = pki.join(2);
        node1 = socket(keys1, work.resolve("auth1.sock"));
        node2 = socket(keys2, work.resolve("auth2.sock"));
        System.out.println("ProcessTlsIntegrationTest: DSM attached at " + cgroupRoot + ", sockets in " + work);
    }

    static UnixSocketServer socket(NodeKeys keys, Path path) throws IOException {
        Authenticator a = new Authenticator(() -> keys, dsm::contextOf, Duration.ofMinutes(60),
                new RateLimiter(10, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        return new UnixSocketServer(path, "", 16384, Duration.ofSeconds(5), 2, a, new DsmConnectRecords(() -> dsm));
    }

    @AfterAll
    static void cleanUp() {
        for (Process c : CHILDREN) {
            c.destroyForcibly();
            try {
                c.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (UnixSocketServer s : new UnixSocketServer[] {node1, node2}) {
            if (s != null) {
                s.close();
            }
        }
        if (dsm instanceof LinuxDsm l) {
            if (l.isAvailable()) {
                try {
                    l.detach();
                } catch (RuntimeException e) {
                    System.out.println("cleanup: detach failed: " + e.getMessage());
                }
            }
            l.close();
        }
        if (cgroupRoot != null) {
            removeCgroupTree(cgroupRoot);
        }
        if (pinDir != null) {
            removeTree(pinDir);
        }
    }

    /** A child JVM running {@link TlsPeer}, its stdout lines in a queue. */
    record Peer(Process process, BlockingQueue<String> lines) {
        int pid() {
            return (int) process.pid();
        }

        void go() throws IOException {
            process.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        String await(String prefix) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<String> seen = new ArrayList<>();
            while (System.nanoTime() < end) {
                String l = lines.poll(200, TimeUnit.MILLISECONDS);
                if (l == null) {
                    if (!process.isAlive() && lines.isEmpty()) {
                        break;
                    }
                    continue;
                }
                if (l.startsWith(prefix)) {
                    return l.substring(prefix.length()).trim();
                }
                seen.add(l);
            }
            return fail("pid " + process.pid() + ": no line '" + prefix + "'; output: " + seen);
        }
    }

    static Peer start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                TlsPeer.class.getName()));
        cmd.addAll(List.of(args));
        return startCommand(cmd);
    }

    static Peer startCommand(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CHILDREN.add(p);
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null;) {
                    System.out.println("  [" + p.pid() + "] " + l);
                    q.add(l);
                }
            } catch (IOException e) {
                // process gone
            }
        }, "peer-output-" + p.pid());
        t.setDaemon(true);
        t.start();
        return new Peer(p, q);
    }

    @Test
    @Order(1)
    void processesInTwoContextsOnTwoNodesAuthenticateEachOther() throws Exception {
        Peer server = start("server", node1.path().toString(), CLUSTER);
        dsm.movePid(server.pid(), 10);
        assertEquals(10, dsm.contextOf(server.pid()));
        server.go();
        assertEquals("spiffe://" + CLUSTER + "/node/1/scid/10", server.await("ISSUED "));
        String port = server.await("PORT ");

        Peer client = start("client", node2.path().toString(), CLUSTER, port);
        dsm.movePid(client.pid(), 20);
        assertEquals(20, dsm.contextOf(client.pid()));
        client.go();
        assertEquals("spiffe://" + CLUSTER + "/node/2/scid/20", client.await("ISSUED "));

        // each side read the other's (ScID, SnID) from the peer certificate of a TLS 1.3 session
        assertEquals("10 1 TLSv1.3", client.await("PEER "));
        assertEquals("20 2 TLSv1.3", server.await("PEER "));
        assertEquals("hello from spiffe://" + CLUSTER + "/node/1/scid/10", client.await("GOT "));
        assertEquals("hello from spiffe://" + CLUSTER + "/node/2/scid/20", server.await("GOT "));
        assertTrue(server.process().waitFor(20, TimeUnit.SECONDS));
        assertTrue(client.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, server.process().exitValue());
        assertEquals(0, client.process().exitValue());
    }

    @Test
    @Order(2)
    void processOutsideAnyContextIsRefused() throws Exception {
        Peer outsider = start("ask", node1.path().toString());
        assertEquals(0, dsm.contextOf(outsider.pid()));
        outsider.go();
        assertEquals("process " + outsider.pid() + " is not in a DSI security context", outsider.await("REFUSED "));
        assertTrue(outsider.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(3, outsider.process().exitValue());
    }

    /**
     * The connect/fork/exec race, 1,000 times: a process in context 10 connects, a forked child (or
     * the process itself) sends the request, and the process execs a binary that moves it into 20.
     * Whoever wins, no certificate ever names 20: the context is the one recorded at connect(), and
     * the answer is refused when the connecting process is no longer in it.
     */
    @Test
    @Order(3)
    void connectForkExecRaceNeverYieldsTheNewContext() throws Exception {
        Optional<Path> gcc = Stream.of("/usr/bin/gcc", "/usr/bin/cc").map(Path::of).filter(Files::isExecutable).findFirst();
        if (gcc.isEmpty()) {
            skip("gcc is not installed (the racer is a C program)");
        }
        Path racer = work.resolve("connect_exec_race");
        Process cc = new ProcessBuilder(gcc.get().toString(), "-O2", "-Wall", "-o", racer.toString(),
                Path.of("src/test/c/connect_exec_race.c").toAbsolutePath().toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), ccOut);
        Path cat20 = work.resolve("cat20");
        Files.copy(Path.of("/bin/cat"), cat20, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(cat20, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        dsm.labelBinary(cat20, 20);
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        java.security.KeyPair kp = g.generateKeyPair();
        Path csr = work.resolve("race.csr");
        Files.writeString(csr, AuthSocketTest.pemCsr(kp));
        Path out = work.resolve("race-out");
        Files.createDirectories(out);
        int runs = 1000;
        // a node's own socket without the per-pid rate limit getting in the way: each run is a new pid
        try (UnixSocketServer s = new UnixSocketServer(work.resolve("race.sock"), "", 16384, Duration.ofSeconds(5), 2,
                new Authenticator(() -> KEYS1, dsm::contextOf, Duration.ofMinutes(60),
                        new RateLimiter(10, TimeUnit.MINUTES.toNanos(1), System::nanoTime)),
                new DsmConnectRecords(() -> dsm))) {
            Peer launcher = startCommand(List.of("/bin/sh", "-c", "read go; exec \"$0\" \"$@\"", racer.toString(),
                    s.path().toString(), csr.toString(), cat20.toString(), out.toString(), String.valueOf(runs)));
            dsm.movePid(launcher.pid(), 10);
            launcher.go();
            assertTrue(launcher.process().waitFor(300, TimeUnit.SECONDS), "the racer did not finish");
            assertEquals(0, launcher.process().exitValue());
        }
        int issued = 0;
        Map<String, Integer> refusals = new HashMap<>();
        for (int i = 0; i < runs; i++) {
            String answer = Files.readString(out.resolve(String.valueOf(i)));
            if (answer.startsWith("ERROR ")) {
                String reason = answer.substring(6).replaceAll("process [0-9]+", "process N").trim();
                refusals.merge(reason, 1, Integer::sum);
                continue;
            }
            java.security.cert.X509Certificate leaf = org.opendsi.keys.Pem.parseCertificates(answer).get(0);
            assertEquals(kp.getPublic(), leaf.getPublicKey());
            assertEquals("spiffe://" + CLUSTER + "/node/1/scid/10", org.opendsi.keys.SpiffeIds.parse(leaf).uri(),
                    "run " + i + " got a certificate for the context the requester is not in");
            issued++;
        }
        System.out.println("ProcessTlsIntegrationTest: " + runs + " connect/fork/exec races: " + issued
                + " certificates, all for ScID 10; refusals: " + refusals);
        for (String reason : refusals.keySet()) {
            assertTrue(reason.equals("process N changed context since it connected (10 -> 20)")
                    || reason.equals("process N that connected has exited"), reason);
        }
    }

    /** Moves leftover processes to the cgroup2 root, then removes the cgroups bottom-up. */
    static void removeCgroupTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path sub : ds) {
                removeCgroupTree(sub);
            }
        } catch (IOException e) {
            System.out.println("cleanup: " + e);
        }
        try {
            for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) {
                    Path top = dir;
                    while (top.getParent() != null && Files.exists(top.getParent().resolve("cgroup.procs"))) {
                        top = top.getParent();
                    }
                    Files.writeString(top.resolve("cgroup.procs"), pid.trim() + "\n");
                }
            }
        } catch (IOException e) {
            System.out.println("cleanup: " + e);
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.out.println("cleanup: cannot remove " + dir + ": " + e);
        }
    }

    static void removeTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path e : ds) {
                if (Files.isDirectory(e)) {
                    removeTree(e);
                } else {
                    Files.deleteIfExists(e);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.out.println("cleanup: cannot remove " + dir + ": " + e);
        }
    }
}
