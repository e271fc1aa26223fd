package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmProcess;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.internal.UnavailableDsm.Reason;
import org.opendsi.dsm.internal.linux.LinuxDsm;

/**
 * The real libdsm through the same Java binding, outside OSGi: a node with its own temporary
 * cgroup subtree (&lt;cgroup2 mount&gt;/dsi-jtest-&lt;pid&gt;) and pin directory
 * (/sys/fs/bpf/dsi-jtest-&lt;pid&gt;), a context, a child process moved into it, a labeled binary,
 * a compiled table, counters, detach. Everything is cleaned up in {@link #cleanUp()}, also on
 * failure. Skipped, with the reason printed, when not root or libdsm.so / dsm.bpf.o are not built
 * (make -C kernel/dsm), or when the kernel lacks a facility (dsm_probe's explanation).
 * Network and namespace behaviour is tested by kernel/dsm's own tests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LinuxDsmIntegrationTest {

    static final int SNID = 7;
    static final long PID = ProcessHandle.current().pid();

    static Path cgroupRoot;
    static Path pinDir;
    static Path work;
    static Dsm dsm;
    static final BlockingQueue<DsmEvent> EVENTS = new LinkedBlockingQueue<>();
    static final List<Process> CHILDREN = new ArrayList<>();
    static Process sleeper;

    private static void skip(String why) {
        System.out.println("SKIPPED LinuxDsmIntegrationTest: " + why);
        assumeTrue(false, why);
    }

    @BeforeAll
    static void attach() throws Exception {
        Platform platform = Platform.current();
        if (!platform.linux() || !platform.x86_64()) {
            skip("not Linux/x86_64 (" + platform.osName() + "/" + platform.osArch() + ")");
        }
        if (platform.euid() != 0) {
            skip("not root (effective uid " + platform.euid() + "): attaching BPF programs needs root");
        }
        Path build = Path.of(System.getProperty("dsm.build.dir", "../../kernel/dsm/build")).toAbsolutePath().normalize();
        Path lib = build.resolve("libdsm.so");
        Path obj = build.resolve("dsm.bpf.o");
        if (!Files.isRegularFile(lib) || !Files.isRegularFile(obj)) {
            skip((Files.isRegularFile(lib) ? "" : lib + " is absent; ") + (Files.isRegularFile(obj) ? "" : obj
                    + " is absent; ") + "build them with make -C kernel/dsm (toolchain: kernel/dsm/install-deps.sh)");
        }
        Optional<String> mount = CgroupMounts.cgroup2Mount(platform.mountsText());
        if (mount.isEmpty()) {
            skip("no cgroup v2 mount in /proc/self/mounts");
        }
        if (!CgroupMounts.bpffsMountedAt(platform.mountsText(), "/sys/fs/bpf")) {
            skip("no bpffs mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)");
        }
        cgroupRoot = Path.of(mount.get(), "dsi-jtest-" + PID);
        pinDir = Path.of("/sys/fs/bpf", "dsi-jtest-" + PID);
        work = Gcc.workDir("it-" + PID);
        Map<String, Object> p = new HashMap<>();
        p.put("snid", Integer.toString(SNID));
        p.put("cgroup.root", cgroupRoot.toString());
        p.put("pin.dir", pinDir.toString());
        p.put("library.path", lib.toString());
        p.put("bpf.object", obj.toString());
        p.put("event.poll.ms", "50");
        DsmSettings settings = DsmSettings.parse(p, platform.mountsText());
        dsm = DsmFactory.open(settings, platform, LinuxDsmIntegrationTest.class.getClassLoader(), null,
                NodeIdStore.NONE, EVENTS::add);
        if (dsm instanceof UnavailableDsm u) {
            if (u.reason() == Reason.KERNEL_FACILITY_MISSING) {
                skip(u.detail());
            }
            fail("the DSM is unavailable: " + u.status().summary());
        }
        System.out.println("LinuxDsmIntegrationTest: attached " + cgroupRoot + ", pins " + pinDir);
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

    static Process start(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CHILDREN.add(p);
        return p;
    }

    @Test
    @Order(1)
    void attachedWithStatusAndDescription() {
        DsmStatus s = dsm.status();
        assertTrue(s.available(), s.summary());
        assertEquals(SNID, s.snid());
        assertEquals(cgroupRoot.toString(), s.cgroupRoot());
        assertEquals(pinDir.toString(), s.pinDir());
        assertTrue(Files.isDirectory(cgroupRoot), cgroupRoot + " was not created");
        assertTrue(Files.isDirectory(pinDir), pinDir + " was not created");
        List<String> lines = dsm.describe();
        System.out.println("describe:\n  " + String.join("\n  ", lines));
        assertFalse(lines.isEmpty());
        assertTrue(lines.stream().anyMatch(l -> l.contains(pinDir.toString())), lines.toString());
        assertEquals(0, dsm.contextOf((int) PID), "the JVM is outside the DSI subtree");
    }

    @Test
    @Order(2)
    void contextAndProcess() throws Exception {
        dsm.createContext(10);
        assertTrue(Files.isDirectory(cgroupRoot.resolve("scid-10")));
        sleeper = start("sleep", "30");
        int pid = (int) sleeper.pid();
        dsm.movePid(pid, 10);
        assertEquals(10, dsm.contextOf(pid));
        List<DsmProcess> ps = dsm.processes();
        assertTrue(ps.contains(new DsmProcess(pid, 10, "sleep", "sleep 30")), ps.toString());
        assertEquals(0, dsm.contextOf((int) PID));
    }

    @Test
    @Order(3)
    void labelBinary() throws Exception {
        Path copy = work.resolve("labeled-true");
        Files.copy(Path.of("/bin/true"), copy, StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, dsm.readLabel(copy));
        assertEquals(0, dsm.labelBinary(copy, 20));
        assertEquals(20, dsm.readLabel(copy));
        assertEquals(20, dsm.labelBinary(copy, 21));
        assertEquals(21, dsm.readLabel(copy));
        assertEquals(21, dsm.labelBinary(copy, 0));
        assertEquals(0, dsm.readLabel(copy));
        Files.delete(copy);
    }

    static CompiledTable table(long version) {
        return table(version, List.of());
    }

    static CompiledTable table(long version, List<CompiledTable.Access> extra) {
        int[] none = new int[Permission.SLOTS];
        int[] rules = new int[Permission.SLOTS];
        rules[Permission.CONNECT.bit()] = 3;
        rules[Permission.SEND.bit()] = 3;
        int[] trans = new int[Permission.SLOTS];
        trans[Permission.TRANSITION.bit()] = 6;
        return new CompiledTable(version, new byte[32], Permission.CREATE.mask(), 0,
                List.of(new CompiledTable.Context(10, 0), new CompiledTable.Context(20, 0),
                        new CompiledTable.Context(30, 0)),
                List.of(new CompiledTable.Node(SNID, new byte[] {127, 0, 0, 1})),
                java.util.stream.Stream.concat(Stream.of(
                        new CompiledTable.Access(10, SNID, 20, Permission.CONNECT.mask() | Permission.SEND.mask(), rules),
                        new CompiledTable.Access(10, SNID, 10, Permission.allMask(), none),
                        new CompiledTable.Access(10, SNID, 30, Permission.TRANSITION.mask(), trans)), extra.stream()).toList(),
                List.of(new CompiledTable.SocketLabel(CompiledTable.PROTO_TCP, 5000, SNID, 20, 4)),
                // (10, binary 20) -> 20 exists but 10 -> 20 lacks "transition": denied
                // (10, binary 30) -> 30 is allowed by rule 6
                List.of(new CompiledTable.Transition(10, 20, 20, 5), new CompiledTable.Transition(10, 30, 30, 6)),
                List.of());
    }

    @Test
    @Order(4)
    void loadTableAndCounters() {
        DsmCounters before = dsm.counters();
        dsm.loadTable(table(42));
        assertEquals(42, dsm.tableVersion());
        DsmCounters after = dsm.counters();
        System.out.println("counters: " + after.asMap());
        assertEquals(42, after.policyVersion());
        assertTrue(after.tableSwaps() > before.tableSwaps(), after.toString());
        dsm.loadTable(table(43));
        assertEquals(43, dsm.tableVersion());
        assertEquals(43, dsm.status().tableVersion());
        assertEquals("", dsm.status().lastTableError());
    }

    /** A shell in context 10 that execs binary (with argument 30) once a line arrives on its stdin. */
    static Process shellInContext10(Path binary) throws Exception {
        Process sh = start("sh", "-c", "read x; exec \"$0\" 30", binary.toString());
        dsm.movePid((int) sh.pid(), 10);
        assertEquals(10, dsm.contextOf((int) sh.pid()));
        sh.getOutputStream().write('\n');
        sh.getOutputStream().flush();
        return sh;
    }

    static DsmEvent awaitEvent(DsmEvent.Type type, int pid) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<DsmEvent> seen = new ArrayList<>();
        while (System.nanoTime() < end) {
            DsmEvent e = EVENTS.poll(100, TimeUnit.MILLISECONDS);
            if (e == null) {
                continue;
            }
            if (e.kind() == type && e.pid() == pid) {
                return e;
            }
            seen.add(e);
        }
        return fail("no " + type + " event for pid " + pid + " within 5 s; seen: " + seen);
    }

    @Test
    @Order(5)
    void execTransitionsAndDenialsArriveAsEvents() throws Exception {
        Path denied = work.resolve("label20-sleep");
        Path allowed = work.resolve("label30-sleep");
        Files.copy(Path.of("/bin/sleep"), denied, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(Path.of("/bin/sleep"), allowed, StandardCopyOption.REPLACE_EXISTING);
        dsm.labelBinary(denied, 20);
        dsm.labelBinary(allowed, 30);

        Process a = shellInContext10(denied);
        assertTrue(a.waitFor(10, TimeUnit.SECONDS), "exec of the denied binary did not fail");
        assertNotEquals(0, a.exitValue(), "exec of a binary without an allowed transition must fail");
        DsmEvent d = awaitEvent(DsmEvent.Type.EXEC_DENIED, (int) a.pid());
        System.out.println("event: " + d.describe());
        assertEquals(10, d.srcScid());
        assertEquals(20, d.tgtScid());
        assertEquals(SNID, d.srcSnid());
        assertEquals("transition", d.permissionName());
        assertEquals(denied.toString(), d.path());
        assertEquals(43, d.policyVersion());

        Process b = shellInContext10(allowed);
        DsmEvent t = awaitEvent(DsmEvent.Type.TRANSITION, (int) b.pid());
        System.out.println("event: " + t.describe());
        assertEquals(10, t.srcScid());
        assertEquals(30, t.tgtScid());
        assertEquals(6, t.ruleId());
        assertTrue(b.isAlive(), "the transitioned program should run (sleep 30)");
        assertEquals(30, dsm.contextOf((int) b.pid())); // moved before the exec was allowed
        // the event leaves once the exec is allowed; the process shows its new program only when its
        // execve has completed, so that is awaited (with a deadline), not read at once
        DsmProcess transitioned = new DsmProcess((int) b.pid(), 30, "label30-sleep", allowed + " 30");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!dsm.processes().contains(transitioned) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertTrue(dsm.processes().contains(transitioned), dsm.processes().toString());
        DsmCounters c = dsm.counters();
        assertTrue(c.execsDenied() >= 1, c.toString());
        assertTrue(c.execsTransitioned() >= 1, c.toString());

        // the same allowed transition with LD_PRELOAD in the caller's environment: killed in the exec
        // gate before its first instruction, and the event says why
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "read x; exec \"$0\" 30", allowed.toString())
                .redirectErrorStream(true);
        pb.environment().put("LD_PRELOAD", "/nonexistent/inject.so");
        Process inj = pb.start();
        CHILDREN.add(inj);
        dsm.movePid((int) inj.pid(), 10);
        inj.getOutputStream().write('\n');
        inj.getOutputStream().flush();
        assertTrue(inj.waitFor(10, TimeUnit.SECONDS), "the injected transition was not killed");
        assertEquals(128 + 9, inj.exitValue(), "killed by SIGKILL");
        DsmEvent k = awaitEvent(DsmEvent.Type.EXEC_DENIED, (int) inj.pid());
        assertEquals(2, k.execReason(), k.toString());
        assertTrue(k.killedInGate());
        assertTrue(k.execReasonText().contains("LD_*"), k.execReasonText());
    }

    /**
     * A process in 10 opens a TCP connection and execs into 30, keeping the socket: its packets still
     * carry 10 (the socket's cgroup), so the socket's context is 10 while the process is in 30.
     * PEER of the access-control socket reports this, not the pid's context.
     */
    @Test
    @Order(6)
    void socketContextIsTheContextItWasCreatedIn() throws Exception {
        Path allowed = work.resolve("label30-sleep");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash (/dev/tcp)");
        try (java.net.ServerSocket ss = new java.net.ServerSocket()) {
            ss.setReuseAddress(true);
            ss.bind(new java.net.InetSocketAddress("127.0.0.1", 5000)); // labeled 20 for SnID 1: 10 may connect
            // this JVM's replies are unlabeled (0, 0): let 10 receive them
            dsm.loadTable(table(44, List.of(new CompiledTable.Access(0, 0, 10, Permission.RECEIVE.mask(),
                    new int[Permission.SLOTS]))));
            Process sh = start("bash", "-c", "read x; exec 3<>/dev/tcp/127.0.0.1/5000 && exec \"$0\" 30", allowed.toString());
            dsm.movePid((int) sh.pid(), 10);
            sh.getOutputStream().write('\n');
            sh.getOutputStream().flush();
            ss.setSoTimeout(10_000);
            try (java.net.Socket accepted = ss.accept()) {
                java.net.InetSocketAddress peer = new java.net.InetSocketAddress("127.0.0.1", accepted.getPort());
                java.net.InetSocketAddress server = new java.net.InetSocketAddress("127.0.0.1", 5000);
                awaitEvent(DsmEvent.Type.TRANSITION, (int) sh.pid());
                assertEquals(30, dsm.contextOf((int) sh.pid()));
                assertEquals(java.util.OptionalInt.of(10), dsm.socketContext(peer, server));
                // this JVM's own end is outside every context
                assertEquals(java.util.OptionalInt.of(0), dsm.socketContext(server, peer));
                assertEquals(java.util.OptionalInt.empty(),
                        dsm.socketContext(new java.net.InetSocketAddress("127.0.0.1", 1), server));
            }
        }
    }

    @Test
    @Order(6)
    void labelKeysAreReplacedAsAWholeAndShownWithoutBytes() {
        byte[] k = new byte[16];
        java.util.Arrays.fill(k, (byte) 0x5a);
        dsm.installLabelKeys(1, List.of(new Dsm.LabelKey(1, 1, k), new Dsm.LabelKey(1, 2, k), new Dsm.LabelKey(2, 2, k)));
        Dsm.LabelKeyState s = dsm.labelKeys();
        assertEquals(1, s.sendEpoch());
        assertEquals(List.of(new Dsm.LabelKeyState.Held(1, 1), new Dsm.LabelKeyState.Held(1, 2),
                new Dsm.LabelKeyState.Held(2, 2)), s.held());
        // the next set replaces the whole: peer 1's key is withheld, epoch 2 sends
        dsm.installLabelKeys(2, List.of(new Dsm.LabelKey(2, 2, k)));
        assertEquals(new Dsm.LabelKeyState(2, List.of(new Dsm.LabelKeyState.Held(2, 2))), dsm.labelKeys());
        // refused: a send epoch without keys, two epochs equal in their low 8 bits; the set stays
        DsmException e = assertThrows(DsmException.class, () -> dsm.installLabelKeys(3, List.of(new Dsm.LabelKey(2, 2, k))));
        assertTrue(e.getMessage().contains("no key of the send epoch 3"), e.getMessage());
        e = assertThrows(DsmException.class, () -> dsm.installLabelKeys(2,
                List.of(new Dsm.LabelKey(2, 2, k), new Dsm.LabelKey(258, 2, k))));
        assertTrue(e.getMessage().contains("share their low 8 bits"), e.getMessage());
        assertEquals(new Dsm.LabelKeyState(2, List.of(new Dsm.LabelKeyState.Held(2, 2))), dsm.labelKeys());
        assertFalse(new Dsm.LabelKey(1, 1, k).toString().contains("5a"), "a key's toString shows no key bytes");
    }

    @Test
    @Order(7)
    void detachRemovesPinsAndContexts() throws Exception {
        for (Process c : CHILDREN) {
            c.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        for (String ctx : List.of("scid-10", "scid-30")) {
            Path procs = cgroupRoot.resolve(ctx).resolve("cgroup.procs");
            for (int i = 0; i < 50 && Files.exists(procs)
                    && !Files.readString(procs, StandardCharsets.US_ASCII).isBlank(); i++) {
                Thread.sleep(20);
            }
        }
        dsm.detach();
        DsmStatus s = dsm.status();
        assertFalse(s.available());
        assertTrue(s.reason().startsWith("detached on request"), s.reason());
        assertFalse(Files.exists(pinDir), "pins left in " + pinDir);
        assertFalse(Files.exists(cgroupRoot.resolve("scid-10")), "context cgroup left");
        assertNotEquals(null, s.summary());
        assertInstanceOf(LinuxDsm.class, dsm);
    }
}
