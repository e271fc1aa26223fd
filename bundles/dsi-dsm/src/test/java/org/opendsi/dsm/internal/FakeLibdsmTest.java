package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Library;
import com.sun.jna.Native;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.Permission;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmProcess;
import org.opendsi.dsm.internal.UnavailableDsm.Reason;
import org.opendsi.dsm.internal.jna.EventStruct;
import org.opendsi.dsm.internal.linux.LinuxDsm;

/**
 * The Java binding against a stand-in libdsm (src/test/c/fake_dsm.c compiled with gcc): every
 * call, error path, event delivery and re-attach, without root or a kernel. Skipped, with the
 * reason, when gcc is absent.
 */
class FakeLibdsmTest {

    /** The fake's control functions. */
    public interface FakeControl extends Library {
        void fake_reset();

        void fake_set_caps(int caps, String why);

        void fake_fail(String fn, int rc, String msg);

        int fake_attach_count();

        String fake_last_attach();

        void fake_push_event(EventStruct e);
    }

    static Path lib;
    static Path bpf;
    static FakeControl control;

    @TempDir
    Path tmp;

    private final List<Dsm> opened = new ArrayList<>();
    private Process sleeper;

    @BeforeAll
    static void build() throws Exception {
        Optional<Path> gcc = Gcc.find();
        if (gcc.isEmpty()) {
            String why = "gcc not found on PATH: cannot build the stand-in libdsm (apt-get install gcc)";
            System.out.println("SKIPPED FakeLibdsmTest: " + why);
            assumeTrue(false, why);
        }
        Path dir = Gcc.workDir("fake");
        lib = dir.resolve("libdsm.so");
        Path src = Path.of("src/test/c/fake_dsm.c").toAbsolutePath();
        Gcc.run(Gcc.cmd(gcc.get(), "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-I", Gcc.header().getParent(), "-o",
                lib, src));
        bpf = Files.writeString(dir.resolve("dsm.bpf.o"), "not really BPF");
        control = Native.load(lib.toString(), FakeControl.class);
    }

    @BeforeEach
    void reset() {
        control.fake_reset();
    }

    @AfterEach
    void close() {
        for (Dsm d : opened) {
            if (d instanceof LinuxDsm l) {
                l.close();
            }
        }
        if (sleeper != null) {
            sleeper.destroyForcibly();
        }
    }

    private DsmSettings settings(Map<String, Object> extra) {
        Map<String, Object> p = new HashMap<>(extra);
        p.put("library.path", lib.toString());
        p.putIfAbsent("cgroup.root", tmp.resolve("cg").toString());
        p.putIfAbsent("pin.dir", tmp.resolve("pins").toString());
        p.putIfAbsent("event.poll.ms", "20");
        return DsmSettings.parse(p, CgroupMountsTest.HYBRID_MOUNTS);
    }

    private Dsm open(DsmSettings s, BlockingQueue<DsmEvent> events, List<Integer> persisted) {
        Dsm d = DsmFactory.open(s, UnavailableDsmTest.LINUX_ROOT, UnavailableDsmTest.EMPTY, null,
                persisted == null ? NodeIdStore.NONE : persisted::add, events == null ? e -> { } : events::add);
        opened.add(d);
        return d;
    }

    static CompiledTable table(long version) {
        int[] rules = new int[Permission.SLOTS];
        rules[Permission.CONNECT.bit()] = 7;
        return new CompiledTable(version, new byte[32], 0, 0,
                List.of(new CompiledTable.Context(10, 0), new CompiledTable.Context(20, 0)),
                List.of(new CompiledTable.Node(1, new byte[] {10, 0, 0, 1})),
                List.of(new CompiledTable.Access(10, 1, 20, Permission.CONNECT.mask(), rules)),
                List.of(), List.of(), List.of());
    }

    @Test
    void everyCallThroughTheBinding() throws Exception {
        Dsm d = open(settings(Map.of("snid", "5", "interfaces", "eth0", "netns", "/run/netns/colby")), null, null);
        assertTrue(d.isAvailable(), () -> d.status().summary());
        assertInstanceOf(LinuxDsm.class, d);
        assertEquals("snid=5 flags=0 cgroup=" + tmp.resolve("cg") + " pins=" + tmp.resolve("pins") + " obj=" + bpf
                + " ifaces=eth0 netns=/run/netns/colby", control.fake_last_attach());
        assertEquals(5, d.nodeId());
        assertEquals(0xFF, d.capabilities());
        assertEquals(List.of("cgroup/connect4 id 42 pinned " + tmp.resolve("pins") + "/connect4",
                "cgroup_skb/ingress id 43 pinned " + tmp.resolve("pins") + "/ingress"), d.describe());

        sleeper = new ProcessBuilder("sleep", "30").start();
        int pid = (int) sleeper.pid();
        d.createContext(10);
        d.movePid(pid, 10);
        assertEquals(10, d.contextOf(pid));
        assertEquals(0, d.contextOf(1));
        List<DsmProcess> ps = d.processes();
        assertEquals(1, ps.size());
        assertEquals(new DsmProcess(pid, 10, "sleep", "sleep 30"), ps.get(0));

        Path bin = Files.writeString(tmp.resolve("tool"), "#!/bin/sh\n");
        assertEquals(0, d.readLabel(bin));
        assertEquals(0, d.labelBinary(bin, 20));
        assertEquals(20, d.readLabel(bin));
        assertEquals(20, d.labelBinary(bin, 30));

        assertEquals(0, d.tableVersion());
        d.loadTable(table(7));
        assertEquals(7, d.tableVersion());
        assertEquals(1, d.counters().tableSwaps());
        assertEquals(3, d.counters().packetsDenied());
        assertEquals(7, d.status().tableVersion());
        assertEquals("", d.status().lastTableError());

        assertThrows(IllegalArgumentException.class, () -> d.createContext(0));
        assertThrows(IllegalArgumentException.class, () -> d.movePid(0, 10));
    }

    @Test
    void errorsCarryLibdsmsExplanationAndErrno() {
        Dsm d = open(settings(Map.of()), null, null);
        control.fake_fail("dsm_context_remove", -16, "scid-10 still has 2 processes");
        DsmException e = assertThrows(DsmException.class, () -> d.removeContext(10));
        assertEquals(16, e.errno());
        assertEquals("dsm_context_remove(10) failed: dsm_context_remove: scid-10 still has 2 processes",
                e.getMessage());
        control.fake_fail("dsm_load_table", -22, "access section not sorted");
        DsmException t = assertThrows(DsmException.class, () -> d.loadTable(table(8)));
        assertTrue(t.getMessage().endsWith("failed: dsm_load_table: access section not sorted"), t.getMessage());
        assertEquals(t.getMessage(), d.status().lastTableError());
    }

    @Test
    void eventsReachTheSinkDecoded() throws Exception {
        BlockingQueue<DsmEvent> q = new LinkedBlockingQueue<>();
        Dsm d = open(settings(Map.of()), q, null);
        assertTrue(d.isAvailable());
        EventStruct e = new EventStruct();
        e.time_ns = 1_700_000_000_123_456_789L;
        e.policy_version = 7;
        e.type = 1;
        e.permission = Permission.RECEIVE.bit();
        e.src_scid = 10;
        e.src_snid = 1;
        e.tgt_scid = 20;
        e.tgt_snid = 2;
        e.rule_id = 4;
        e.saddr = 0x0100000A; // 10.0.0.1 in network order, as stored on little-endian
        e.daddr = 0x0200000A;
        e.sport = (short) 40000;
        e.dport = 5000;
        e.protocol = 6;
        e.suppressed = 2;
        byte[] comm = "ringbell".getBytes();
        System.arraycopy(comm, 0, e.comm, 0, comm.length);
        e.write();
        control.fake_push_event(e);
        DsmEvent got = q.poll(5, TimeUnit.SECONDS);
        assertNotNull(got, "no event delivered");
        assertEquals(DsmEvent.Type.DENY, got.kind());
        assertEquals("receive", got.permissionName());
        assertEquals("10.0.0.1", DsmEvent.ipv4(got.saddr()));
        assertEquals("10.0.0.2", DsmEvent.ipv4(got.daddr()));
        assertEquals(40000, got.sport());
        assertEquals(5000, got.dport());
        assertEquals("ringbell", got.comm());
        assertEquals("", got.path());
        assertEquals(2, got.suppressed());
        assertEquals("DENY receive 10@1 -> 20@2 rule=4 policy=7 comm=ringbell proto=tcp 10.0.0.1:40000 -> "
                + "10.0.0.2:5000 (+2 suppressed)", got.describe());
    }

    @Test
    void setNodeIdReattachesCarriesContextsAndPersists() throws Exception {
        List<Integer> persisted = new ArrayList<>();
        // defaulted paths follow the SnID: use a fake cgroup2 mount under tmp
        String mounts = "cgroup2 " + tmp.resolve("cgroup2") + " cgroup2 rw 0 0\n";
        Files.createDirectories(tmp.resolve("cgroup2/dsi"));
        DsmSettings s = DsmSettings.parse(Map.of("library.path", lib.toString(), "snid", "1",
                "pin.dir", tmp.resolve("pins").toString()), mounts);
        Dsm d = DsmFactory.open(s, new Platform("Linux", "amd64", 0, mounts), UnavailableDsmTest.EMPTY, null,
                persisted::add, e -> { });
        opened.add(d);
        assertTrue(d.isAvailable(), () -> d.status().summary());
        sleeper = new ProcessBuilder("sleep", "30").start();
        int pid = (int) sleeper.pid();
        d.createContext(10);
        d.movePid(pid, 10);
        d.loadTable(table(9));
        d.setNodeId(2);
        assertEquals(2, d.nodeId());
        assertEquals(List.of(2), persisted);
        assertEquals(tmp.resolve("cgroup2/dsi/node-2").toString(), d.status().cgroupRoot());
        assertEquals(2, control.fake_attach_count());
        assertEquals(List.of(new DsmProcess(pid, 10, "sleep", "sleep 30")), d.processes());
        assertEquals(9, d.tableVersion());
        assertEquals(2, d.counters().tableSwaps());
    }

    @Test
    void missingKernelFacilityIsReportedWithProbesExplanation() {
        control.fake_set_caps(0x01 | 0x02 | 0x08 | 0x10 | 0x40 | 0x80, "bpffs is not mounted at /sys/fs/bpf;"
                + " BPF ring buffer: map create failed: Invalid argument");
        Dsm d = open(settings(Map.of()), null, null);
        UnavailableDsm u = assertInstanceOf(UnavailableDsm.class, d);
        assertEquals(Reason.KERNEL_FACILITY_MISSING, u.reason());
        assertEquals("kernel facility missing: [BPFFS, RINGBUF] (bpffs is not mounted at /sys/fs/bpf; BPF ring buffer:"
                + " map create failed: Invalid argument)", u.detail());
        assertEquals(0xDB, d.capabilities());
        assertTrue(d.status().summary().startsWith("unavailable: kernel facility missing"));
    }

    @Test
    void tcOnlyNeededWithInterfacesFanotifyOnlyWithExecWatch() {
        control.fake_set_caps(0xFF & ~0x10 & ~0x40, "no clsact; fanotify: Operation not permitted");
        assertTrue(open(settings(Map.of("exec.watch", "false")), null, null).isAvailable());
        UnavailableDsm u = assertInstanceOf(UnavailableDsm.class,
                open(settings(Map.of("interfaces", "eth0")), null, null));
        assertTrue(u.detail().startsWith("kernel facility missing: [TC_BPF, FANOTIFY]"), u.detail());
    }

    @Test
    void attachFailureIsReported() {
        control.fake_fail("dsm_attach", -1, "bpf_prog_load(dsi_ingress): Operation not permitted");
        UnavailableDsm u = assertInstanceOf(UnavailableDsm.class, open(settings(Map.of("snid", "3")), null, null));
        assertEquals(Reason.ATTACH_FAILED, u.reason());
        assertTrue(u.detail().startsWith("dsm_attach(snid 3, cgroup root "), u.detail());
        assertTrue(u.detail().endsWith("failed: dsm_attach: bpf_prog_load(dsi_ingress): Operation not permitted"),
                u.detail());
    }

    @Test
    void detachThenEverythingSaysSo() {
        Dsm d = open(settings(Map.of()), null, null);
        d.detach();
        assertTrue(!d.isAvailable());
        assertTrue(d.status().reason().startsWith("detached on request"), d.status().reason());
        assertThrows(org.opendsi.dsm.DsmUnavailableException.class, () -> d.createContext(10));
    }
}
