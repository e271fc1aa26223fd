package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.DsmUnavailableException;
import org.opendsi.dsm.internal.UnavailableDsm.Reason;

class UnavailableDsmTest {

    static final Platform LINUX_ROOT = new Platform("Linux", "amd64", 0, CgroupMountsTest.HYBRID_MOUNTS);
    static final ClassLoader EMPTY = new URLClassLoader(new URL[0], null);

    @TempDir
    Path tmp;

    private static DsmSettings settings(Map<String, Object> p) {
        return DsmSettings.parse(p, CgroupMountsTest.HYBRID_MOUNTS);
    }

    private static Dsm open(DsmSettings s, Platform p) {
        return DsmFactory.open(s, p, EMPTY, null, NodeIdStore.NONE, e -> { });
    }

    private static UnavailableDsm unavailable(Dsm d, Reason r) {
        UnavailableDsm u = assertInstanceOf(UnavailableDsm.class, d, () -> d.status().summary());
        assertEquals(r, u.reason(), u.detail());
        return u;
    }

    @Test
    void disabled() {
        UnavailableDsm u = unavailable(open(settings(Map.of("enabled", "false")), LINUX_ROOT), Reason.DISABLED);
        assertEquals("disabled by configuration (enabled=false in org.opendsi.dsm)", u.detail());
    }

    @Test
    void notLinuxOrNotX86_64() {
        UnavailableDsm w = unavailable(open(settings(Map.of()), new Platform("Windows 11", "amd64", -1, "")),
                Reason.PLATFORM);
        assertTrue(w.detail().startsWith("not Linux/x86_64 (os.name=Windows 11, os.arch=amd64)"), w.detail());
        UnavailableDsm a = unavailable(open(settings(Map.of()), new Platform("Linux", "aarch64", 0, "")),
                Reason.PLATFORM);
        assertTrue(a.detail().contains("os.arch=aarch64"), a.detail());
    }

    @Test
    void notRoot() {
        UnavailableDsm u = unavailable(open(settings(Map.of()), new Platform("Linux", "amd64", 1000, "")),
                Reason.NOT_ROOT);
        assertTrue(u.detail().startsWith("not running as root (effective uid 1000)"), u.detail());
    }

    @Test
    void nativeFragmentAbsent() {
        UnavailableDsm u = unavailable(open(settings(Map.of()), LINUX_ROOT), Reason.NATIVE_FRAGMENT_ABSENT);
        assertTrue(u.detail().startsWith("the native fragment dsi-dsm-native-linux-x86_64 is not installed"),
                u.detail());
        UnavailableDsm v = unavailable(open(settings(Map.of("library.path", tmp.resolve("nope.so").toString())),
                LINUX_ROOT), Reason.NATIVE_FRAGMENT_ABSENT);
        assertTrue(v.detail().contains("nope.so does not exist"), v.detail());
    }

    @Test
    void bpfObjectAbsent() throws Exception {
        Path lib = Files.writeString(tmp.resolve("libdsm.so"), "x");
        UnavailableDsm u = unavailable(open(settings(Map.of("library.path", lib.toString())), LINUX_ROOT),
                Reason.NATIVE_FRAGMENT_ABSENT);
        assertTrue(u.detail().contains("lacks dsm.bpf.o"), u.detail());
    }

    @Test
    void libraryFailsToLoadWithItsMessage() throws Exception {
        Path lib = Files.writeString(tmp.resolve("libdsm.so"), "this is not an ELF file");
        Files.writeString(tmp.resolve("dsm.bpf.o"), "x");
        UnavailableDsm u = unavailable(open(settings(Map.of("library.path", lib.toString())), LINUX_ROOT),
                Reason.LIBRARY_LOAD_FAILED);
        assertTrue(u.detail().startsWith("libdsm failed to load from " + lib + ": "), u.detail());
        assertTrue(u.detail().length() > ("libdsm failed to load from " + lib + ": ").length() + 5, u.detail());
        assertEquals(lib.toString(), u.status().libraryPath());
    }

    @Test
    void resourcesOfTheFragmentAreFound() throws Exception {
        // the fragment's files seen through a class loader (as the bundle class loader sees them)
        Path jarDir = Files.createDirectories(tmp.resolve("fragment"));
        Files.writeString(jarDir.resolve("libdsm.so"), "not ELF");
        Files.writeString(jarDir.resolve("dsm.bpf.o"), "BPF");
        Path data = Files.createDirectories(tmp.resolve("data"));
        try (URLClassLoader cl = new URLClassLoader(new URL[] {jarDir.toUri().toURL()}, null)) {
            NativeLocator.Located l = NativeLocator.locate(settings(Map.of()), cl, name -> data.resolve(name).toFile());
            assertTrue(l.complete(), l.problem());
            assertEquals(data.resolve("native/libdsm.so"), l.library().get());
            assertEquals(data.resolve("dsm.bpf.o"), l.bpfObject().get());
            assertEquals("BPF", Files.readString(l.bpfObject().get()));
        }
    }

    @Test
    void everyOperationThrowsWithTheReasonAndStatusSaysAuditOnly() {
        DsmSettings s = settings(new HashMap<>(Map.of("snid", "3")));
        UnavailableDsm u = new UnavailableDsm(Reason.NOT_ROOT, "not running as root (effective uid 1000)", s);
        DsmStatus st = u.status();
        assertFalse(st.available());
        assertFalse(u.isAvailable());
        assertEquals(3, u.nodeId());
        assertEquals("audit-only", st.mode());
        assertEquals("not running as root (effective uid 1000)", st.reason());
        assertTrue(st.summary().startsWith("unavailable: not running as root (effective uid 1000)"), st.summary());
        assertTrue(st.summary().contains("audit-only mode"), st.summary());
        CompiledTable t = new CompiledTable(1, new byte[32], 0, 0, List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of());
        List<Executable> ops = List.of(
                () -> u.createContext(10), () -> u.removeContext(10), () -> u.movePid(1, 10),
                () -> u.labelBinary(Path.of("/bin/true"), 10), () -> u.loadTable(t), () -> u.setNodeId(2),
                u::detach, () -> u.contextOf(1), () -> u.readLabel(Path.of("/bin/true")), u::processes,
                u::counters, u::tableVersion, u::describe);
        for (Executable op : ops) {
            DsmUnavailableException e = assertThrows(DsmUnavailableException.class, op);
            assertEquals("not running as root (effective uid 1000)", e.reason());
            assertTrue(e.getMessage().startsWith("DSM unavailable: not running as root"), e.getMessage());
        }
    }

    @Test
    void euidParsing() {
        assertEquals(0, Platform.effectiveUid("Name:\tjava\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"));
        assertEquals(1000, Platform.effectiveUid("Uid:\t0\t1000\t1000\t1000\n"));
        assertEquals(-1, Platform.effectiveUid("Name:\tx\n"));
    }

}
