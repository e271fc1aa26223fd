package org.opendsi.dsm.internal.linux;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import org.opendsi.api.SecurityIds;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCapability;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmProcess;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.DsmUnavailableException;
import org.opendsi.dsm.internal.DsmSettings;
import org.opendsi.dsm.internal.NodeIdStore;
import org.opendsi.dsm.internal.Platform;
import org.opendsi.dsm.internal.ProcessLister;
import org.opendsi.dsm.internal.UnavailableDsm;
import org.opendsi.dsm.internal.UnavailableDsm.Reason;
import org.opendsi.dsm.internal.jna.AttachOpts;
import org.opendsi.dsm.internal.jna.CountersStruct;
import org.opendsi.dsm.internal.jna.DsmLibrary;
import org.opendsi.dsm.internal.jna.EventStruct;
import org.opendsi.dsm.internal.jna.SizeT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DSM of a Linux node: libdsm through JNA. Every native call runs under one lock (libdsm's
 * last error is per thread and the node handle is not shared between threads). A daemon thread
 * polls the audit ring buffer and hands the events to the sink.
 */
public final class LinuxDsm implements Dsm, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LinuxDsm.class);

    static final int ENODATA = 61;
    static final int ESRCH = 3;
    static final int EVENT_BATCH = 64;

    /** Always needed; TC_BPF only with interfaces, FANOTIFY only with the exec watcher. */
    static final int REQUIRED_CAPS = DsmCapability.mask(DsmCapability.ROOT, DsmCapability.CGROUP2,
            DsmCapability.BPFFS, DsmCapability.CGROUP_BPF, DsmCapability.RINGBUF, DsmCapability.XATTR);

    private final DsmLibrary lib;
    private final Platform platform;
    private final String libraryPath;
    private final String bpfObject;
    private final int capabilities;
    private final String probeReport;
    private final NodeIdStore store;
    private final Consumer<DsmEvent> events;
    private final Object lock = new Object();

    // guarded by lock
    private Pointer node;
    private DsmSettings settings;
    private byte[] lastTable;
    private String lastTableError = "";
    private String detachedReason;
    private boolean closed;

    private final Thread poller;

    private LinuxDsm(DsmLibrary lib, Pointer node, DsmSettings settings, Platform platform, String libraryPath,
                     String bpfObject, int capabilities, String probeReport, NodeIdStore store,
                     Consumer<DsmEvent> events) {
        this.lib = lib;
        this.node = node;
        this.settings = settings;
        this.platform = platform;
        this.libraryPath = libraryPath;
        this.bpfObject = bpfObject;
        this.capabilities = capabilities;
        this.probeReport = probeReport;
        this.store = store == null ? NodeIdStore.NONE : store;
        this.events = events;
        this.poller = new Thread(this::pollLoop, "dsi-dsm-events");
        this.poller.setDaemon(true);
    }

    /**
     * Loads libdsm, probes the kernel and attaches the node; on any failure returns an
     * {@link UnavailableDsm} with the reason.
     */
    public static Dsm open(DsmSettings settings, Platform platform, Path library, Path bpfObject, NodeIdStore store,
                           Consumer<DsmEvent> events) {
        DsmLibrary lib;
        try {
            lib = DsmLibrary.load(library.toString());
            String missing = missingFunctions(library.toString());
            if (!missing.isEmpty()) {
                return new UnavailableDsm(Reason.LIBRARY_LOAD_FAILED, "libdsm at " + library + " lacks " + missing
                        + " (built from another dsm.h?)", settings, settings.snid(), 0, "", library.toString(),
                        bpfObject.toString());
            }
        } catch (LinkageError | RuntimeException e) {
            return new UnavailableDsm(Reason.LIBRARY_LOAD_FAILED, "libdsm failed to load from " + library + ": "
                    + e.getMessage(), settings, settings.snid(), 0, "", library.toString(), bpfObject.toString());
        }
        byte[] why = new byte[4096];
        int caps = lib.dsm_probe(why, new SizeT(why.length));
        String report = cString(why);
        int required = requiredCaps(settings);
        int missingCaps = required & ~caps;
        if (missingCaps != 0) {
            return new UnavailableDsm(Reason.KERNEL_FACILITY_MISSING, "kernel facility missing: "
                    + DsmCapability.fromMask(missingCaps) + (report.isBlank() ? "" : " (" + report.strip() + ")"),
                    settings, settings.snid(), caps, report, library.toString(), bpfObject.toString());
        }
        if (settings.cgroupRoot().isEmpty()) {
            return new UnavailableDsm(Reason.KERNEL_FACILITY_MISSING, "no cgroup v2 mount in /proc/self/mounts and no"
                    + " cgroup.root configured", settings, settings.snid(), caps, report, library.toString(),
                    bpfObject.toString());
        }
        Pointer node;
        try {
            node = attach(lib, settings, bpfObject.toString());
        } catch (DsmException e) {
            return new UnavailableDsm(Reason.ATTACH_FAILED, e.getMessage(), settings, settings.snid(), caps, report,
                    library.toString(), bpfObject.toString());
        }
        LinuxDsm dsm = new LinuxDsm(lib, node, settings, platform, library.toString(), bpfObject.toString(), caps,
                report, store, events);
        dsm.poller.start();
        return dsm;
    }

    static int requiredCaps(DsmSettings s) {
        int r = REQUIRED_CAPS;
        if (!s.interfaces().isEmpty()) {
            r |= DsmCapability.TC_BPF.bit();
        }
        if (s.execWatch()) {
            r |= DsmCapability.FANOTIFY.bit();
        }
        return r;
    }

    /** Names of DsmLibrary functions the library does not export, comma-separated. */
    static String missingFunctions(String library) {
        NativeLibrary nl = NativeLibrary.getInstance(library);
        List<String> missing = new ArrayList<>();
        for (Method m : DsmLibrary.class.getDeclaredMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            try {
                nl.getFunction(m.getName());
            } catch (UnsatisfiedLinkError e) {
                missing.add(m.getName());
            }
        }
        missing.sort(null);
        return String.join(", ", missing);
    }

    private static Pointer attach(DsmLibrary lib, DsmSettings s, String bpfObject) {
        AttachOpts o = new AttachOpts();
        o.snid = s.snid();
        o.flags = s.attachFlags();
        o.cgroup_root = s.cgroupRoot();
        o.pin_dir = s.pinDir();
        o.bpf_object = bpfObject;
        o.ifaces = s.interfaces();
        o.netns_path = s.netns().isEmpty() ? null : s.netns();
        PointerByReference out = new PointerByReference();
        int rc = lib.dsm_attach(o, out);
        if (rc < 0) {
            throw new DsmException("dsm_attach(snid " + Integer.toUnsignedString(s.snid()) + ", cgroup root "
                    + s.cgroupRoot() + ", pins " + s.pinDir()
                    + (s.interfaces().isEmpty() ? "" : ", interfaces " + s.interfaces())
                    + (s.netns().isEmpty() ? "" : ", netns " + s.netns()) + ") failed: " + lib.dsm_last_error(), -rc);
        }
        if (out.getValue() == null) {
            throw new DsmException("dsm_attach returned no node handle");
        }
        LOG.info("DSM attached: SnID {}, cgroup root {}, pins {}, interfaces [{}]{}",
                Integer.toUnsignedString(s.snid()), s.cgroupRoot(), s.pinDir(), s.interfaces(),
                s.netns().isEmpty() ? "" : ", netns " + s.netns());
        return out.getValue();
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    public DsmSettings settings() {
        synchronized (lock) {
            return settings;
        }
    }

    /** The node handle, checked; call under lock. */
    private Pointer node() {
        if (closed) {
            throw new DsmUnavailableException("the DSM handle was closed (dsi-dsm stopping or reconfigured)");
        }
        if (detachedReason != null) {
            throw new DsmUnavailableException(detachedReason);
        }
        if (node == null) {
            throw new DsmUnavailableException("no node handle: the last re-attach failed; see the log");
        }
        return node;
    }

    private DsmException fail(String what, int rc) {
        return new DsmException(what + " failed: " + lib.dsm_last_error(), -rc);
    }

    @Override
    public DsmStatus status() {
        synchronized (lock) {
            boolean up = !closed && detachedReason == null && node != null;
            long version = 0;
            if (up) {
                CountersStruct c = new CountersStruct();
                if (lib.dsm_counters(node, c) >= 0) {
                    version = c.policy_version;
                }
            }
            String reason = closed ? "the DSM handle was closed" : detachedReason != null ? detachedReason
                    : node == null ? "no node handle: the last re-attach failed; see the log" : "";
            return new DsmStatus(up, reason, settings.snid(), capabilities, probeReport, settings.cgroupRoot(),
                    settings.pinDir(), settings.interfaces(), settings.netns(), libraryPath, bpfObject, version,
                    lastTableError);
        }
    }

    @Override
    public int nodeId() {
        synchronized (lock) {
            return settings.snid();
        }
    }

    @Override
    public int capabilities() {
        return capabilities;
    }

    @Override
    public List<String> describe() {
        synchronized (lock) {
            Pointer n = node();
            int size = 64 * 1024;
            for (int attempt = 0; attempt < 3; attempt++) {
                byte[] buf = new byte[size];
                int rc = lib.dsm_describe(n, buf, new SizeT(buf.length));
                if (rc < 0) {
                    throw fail("dsm_describe", rc);
                }
                if (rc < size - 1) {
                    List<String> lines = new ArrayList<>();
                    for (String l : cString(buf).split("\n")) {
                        if (!l.isBlank()) {
                            lines.add(l.stripTrailing());
                        }
                    }
                    return lines;
                }
                size = Math.max(size * 4, rc + 2);
            }
            throw new DsmException("dsm_describe: description larger than " + size + " bytes");
        }
    }

    @Override
    public long tableVersion() {
        return counters().policyVersion();
    }

    @Override
    public DsmCounters counters() {
        synchronized (lock) {
            CountersStruct c = new CountersStruct();
            int rc = lib.dsm_counters(node(), c);
            if (rc < 0) {
                throw fail("dsm_counters", rc);
            }
            return c.toCounters();
        }
    }

    private static void checkScid(int scid) {
        if (scid == SecurityIds.UNLABELED || scid == SecurityIds.ANY) {
            throw new IllegalArgumentException("ScID " + SecurityIds.format(scid)
                    + " is reserved; contexts use 1.." + SecurityIds.MAX_ID);
        }
    }

    @Override
    public void createContext(int scid) {
        checkScid(scid);
        synchronized (lock) {
            int rc = lib.dsm_context_create(node(), scid);
            if (rc < 0) {
                throw fail("dsm_context_create(" + Integer.toUnsignedString(scid) + ")", rc);
            }
        }
    }

    @Override
    public void removeContext(int scid) {
        checkScid(scid);
        synchronized (lock) {
            int rc = lib.dsm_context_remove(node(), scid);
            if (rc < 0) {
                throw fail("dsm_context_remove(" + Integer.toUnsignedString(scid) + ")", rc);
            }
        }
    }

    @Override
    public void movePid(int pid, int scid) {
        checkScid(scid);
        if (pid <= 0) {
            throw new IllegalArgumentException("pid " + pid + " is not a process id");
        }
        synchronized (lock) {
            int rc = lib.dsm_move_pid(node(), pid, scid);
            if (rc < 0) {
                throw fail("dsm_move_pid(" + pid + ", " + Integer.toUnsignedString(scid) + ")", rc);
            }
        }
    }

    @Override
    public int contextOf(int pid) {
        synchronized (lock) {
            IntByReference out = new IntByReference();
            int rc = lib.dsm_pid_context(node(), pid, out);
            if (rc < 0) {
                throw fail("dsm_pid_context(" + pid + ")", rc);
            }
            return out.getValue();
        }
    }

    /** sizeof(struct dsm_label_key): epoch, peer_snid (native-endian u32), 16 key bytes. */
    public static final int LABEL_KEY_SIZE = 24;

    @Override
    public void installLabelKeys(int sendEpoch, List<LabelKey> keys) {
        byte[] packed = new byte[Math.max(1, keys.size()) * LABEL_KEY_SIZE];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(packed).order(java.nio.ByteOrder.nativeOrder());
        for (LabelKey k : keys) {
            b.putInt(k.epoch()).putInt(k.peerSnid()).put(k.key());
        }
        try {
            synchronized (lock) {
                int rc = lib.dsm_label_keys_replace(node(), packed, keys.size(), sendEpoch);
                if (rc < 0) {
                    throw fail("dsm_label_keys_replace(" + keys.size() + " keys, send epoch " + sendEpoch + ")", rc);
                }
            }
        } finally {
            java.util.Arrays.fill(packed, (byte) 0);
        }
    }

    @Override
    public LabelKeyState labelKeys() {
        synchronized (lock) {
            IntByReference send = new IntByReference();
            int max = 8192;
            byte[] out = new byte[max * LABEL_KEY_SIZE];
            int rc = lib.dsm_label_keys_list(node(), out, max, send);
            if (rc < 0) {
                throw fail("dsm_label_keys_list", rc);
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.nativeOrder());
            List<LabelKeyState.Held> held = new java.util.ArrayList<>();
            for (int i = 0; i < Math.min(rc, max); i++) {
                held.add(new LabelKeyState.Held(b.getInt(i * LABEL_KEY_SIZE), b.getInt(i * LABEL_KEY_SIZE + 4)));
            }
            held.sort(java.util.Comparator.comparingInt(LabelKeyState.Held::epoch)
                    .thenComparingInt(LabelKeyState.Held::peerSnid));
            return new LabelKeyState(send.getValue(), List.copyOf(held));
        }
    }

    @Override
    public Optional<UnixPeer> unixPeer(int fd) {
        synchronized (lock) {
            IntByReference scid = new IntByReference();
            IntByReference pid = new IntByReference();
            int rc = lib.dsm_unix_peer_context(node(), fd, scid, pid);
            if (rc == -2) { // ENOENT: no record
                return Optional.empty();
            }
            if (rc < 0) {
                throw fail("dsm_unix_peer_context(" + fd + ")", rc);
            }
            return Optional.of(new UnixPeer(scid.getValue(), pid.getValue()));
        }
    }

    @Override
    public java.util.OptionalInt socketContext(java.net.InetSocketAddress local, java.net.InetSocketAddress remote) {
        byte[] l = local.getAddress().getAddress();
        byte[] r = remote.getAddress().getAddress();
        synchronized (lock) {
            IntByReference scid = new IntByReference();
            int rc;
            if (l.length == 4 && r.length == 4) {
                rc = lib.dsm_inet_socket_context(node(), 2, l, (short) local.getPort(), r, (short) remote.getPort(), scid);
                if (rc == -2) { // a dual-stack IPv6 socket: v4-mapped addresses
                    rc = lib.dsm_inet_socket_context(node(), 10, mapped(l), (short) local.getPort(), mapped(r),
                            (short) remote.getPort(), scid);
                }
            } else {
                rc = lib.dsm_inet_socket_context(node(), 10, l.length == 4 ? mapped(l) : l, (short) local.getPort(),
                        r.length == 4 ? mapped(r) : r, (short) remote.getPort(), scid);
            }
            if (rc == -2) {
                return java.util.OptionalInt.empty();
            }
            if (rc < 0) {
                throw fail("dsm_inet_socket_context", rc);
            }
            return java.util.OptionalInt.of(scid.getValue());
        }
    }

    private static byte[] mapped(byte[] v4) {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(v4, 0, m, 12, 4);
        return m;
    }

    @Override
    public int labelBinary(Path path, int scid) {
        if (scid == SecurityIds.ANY) {
            throw new IllegalArgumentException("ScID * is reserved");
        }
        String p = path.toAbsolutePath().toString();
        synchronized (lock) {
            Pointer n = node();
            int previous = readLabelLocked(p);
            int rc = lib.dsm_label_binary(n, p, scid);
            if (rc < 0) {
                throw fail("dsm_label_binary(" + p + ", " + Integer.toUnsignedString(scid) + ")", rc);
            }
            return previous;
        }
    }

    @Override
    public int readLabel(Path path) {
        String p = path.toAbsolutePath().toString();
        synchronized (lock) {
            node();
            return readLabelLocked(p);
        }
    }

    private int readLabelLocked(String p) {
        IntByReference out = new IntByReference();
        int rc = lib.dsm_read_label(p, out);
        if (rc == -ENODATA) {
            return SecurityIds.UNLABELED;
        }
        if (rc < 0) {
            throw fail("dsm_read_label(" + p + ")", rc);
        }
        return out.getValue();
    }

    @Override
    public void loadTable(CompiledTable table) {
        byte[] bytes = table.encode();
        synchronized (lock) {
            Pointer n = node();
            int rc = lib.dsm_load_table(n, bytes, new SizeT(bytes.length));
            if (rc < 0) {
                DsmException e = fail("dsm_load_table(policy version " + table.policyVersion() + ", " + bytes.length
                        + " bytes)", rc);
                lastTableError = e.getMessage();
                throw e;
            }
            lastTable = bytes;
            lastTableError = "";
        }
    }

    @Override
    public List<DsmProcess> processes() {
        String root;
        synchronized (lock) {
            node();
            root = settings.cgroupRoot();
        }
        try {
            return new ProcessLister(Path.of(root), Path.of("/proc")).list();
        } catch (IOException e) {
            throw new DsmException("listing the processes under " + root + " failed: " + e, e);
        }
    }

    @Override
    public void setNodeId(int snid) {
        if (snid == SecurityIds.UNLABELED || snid == SecurityIds.ANY) {
            throw new IllegalArgumentException("SnID " + SecurityIds.format(snid) + " is reserved; use 1.."
                    + SecurityIds.MAX_ID);
        }
        synchronized (lock) {
            Pointer old = node();
            DsmSettings oldSettings = settings;
            if (snid != oldSettings.snid()) {
                DsmSettings next = oldSettings.withSnid(snid, platform.mountsText());
                reattach(old, oldSettings, next);
            }
        }
        try {
            store.persistSnid(snid);
        } catch (Exception e) {
            throw new DsmException("SnID " + Integer.toUnsignedString(snid) + " is in force but could not be persisted"
                    + " in " + DsmSettings.PID + ": " + e.getMessage(), e);
        }
    }

    /**
     * Re-attaches with other settings (under lock). When the cgroup subtree and pins stay where
     * they are, the pinned state is adopted with the new settings; when they move, the new node is
     * attached first, contexts and their processes are carried over, then the old one is detached.
     * The last table is reloaded.
     */
    public void reattach(DsmSettings next) {
        synchronized (lock) {
            reattach(node(), settings, next);
        }
    }

    private void reattach(Pointer old, DsmSettings oldSettings, DsmSettings next) {
        boolean samePlace = next.cgroupRoot().equals(oldSettings.cgroupRoot())
                && next.pinDir().equals(oldSettings.pinDir());
        if (samePlace) {
            lib.dsm_close(old);
            node = null;
            try {
                node = attach(lib, next, bpfObject);
            } catch (DsmException e) {
                // keep enforcing with what is pinned: adopt it again with the old settings
                node = attach(lib, oldSettings, bpfObject);
                throw e;
            }
            settings = next;
        } else {
            List<DsmProcess> procs;
            try {
                procs = new ProcessLister(Path.of(oldSettings.cgroupRoot()), Path.of("/proc")).list();
            } catch (IOException e) {
                throw new DsmException("cannot list the processes of " + oldSettings.cgroupRoot() + ": " + e, e);
            }
            Pointer fresh = attach(lib, next, bpfObject);
            Set<Integer> contexts = new LinkedHashSet<>();
            for (DsmProcess p : procs) {
                contexts.add(p.scid());
            }
            for (int scid : contexts) {
                int rc = lib.dsm_context_create(fresh, scid);
                if (rc < 0) {
                    LOG.warn("re-attach: dsm_context_create({}) failed: {}", Integer.toUnsignedString(scid),
                            lib.dsm_last_error());
                }
            }
            for (DsmProcess p : procs) {
                int rc = lib.dsm_move_pid(fresh, p.pid(), p.scid());
                if (rc < 0 && rc != -ESRCH) {
                    LOG.warn("re-attach: moving pid {} ({}) into ScID {} failed: {}", p.pid(), p.comm(),
                            Integer.toUnsignedString(p.scid()), lib.dsm_last_error());
                }
            }
            if (lastTable != null) {
                loadInto(fresh);
            }
            int rc = lib.dsm_detach(old);
            if (rc < 0) {
                LOG.warn("re-attach: detaching the old node (pins {}) failed: {}", oldSettings.pinDir(),
                        lib.dsm_last_error());
            }
            lib.dsm_close(old);
            node = fresh;
            settings = next;
        }
        if (samePlace && lastTable != null) {
            loadInto(node);
        }
        LOG.info("DSM re-attached with SnID {} ({})", Integer.toUnsignedString(next.snid()),
                samePlace ? "pinned state adopted in place" : "contexts and processes carried over to "
                        + next.cgroupRoot());
    }

    private void loadInto(Pointer n) {
        int rc = lib.dsm_load_table(n, lastTable, new SizeT(lastTable.length));
        if (rc < 0) {
            lastTableError = "reloading the last table after re-attach failed: " + lib.dsm_last_error();
            LOG.error(lastTableError);
        }
    }

    @Override
    public void detach() {
        synchronized (lock) {
            Pointer n = node();
            int rc = lib.dsm_detach(n);
            if (rc < 0) {
                throw fail("dsm_detach", rc);
            }
            lib.dsm_close(n);
            node = null;
            detachedReason = "detached on request: nothing is enforced until dsi-dsm re-attaches (restart the bundle"
                    + " or update configuration " + DsmSettings.PID + ")";
            LOG.warn("DSM detached: programs, tc filters and pins of SnID {} removed",
                    Integer.toUnsignedString(settings.snid()));
        }
        poller.interrupt();
    }

    /** Releases the handle and keeps everything pinned, so enforcement continues. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (node != null && detachedReason == null) {
                lib.dsm_close(node);
            }
            node = null;
        }
        poller.interrupt();
        try {
            poller.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pollLoop() {
        EventStruct[] buf = (EventStruct[]) new EventStruct().toArray(EVENT_BATCH);
        String lastError = null;
        while (!Thread.currentThread().isInterrupted()) {
            int n;
            int interval;
            List<DsmEvent> batch = new ArrayList<>();
            synchronized (lock) {
                if (closed || detachedReason != null) {
                    return;
                }
                if (node == null) {
                    n = 0;
                    interval = 1000;
                    batch = List.of();
                } else {
                interval = settings.pollIntervalMs();
                n = lib.dsm_poll_events(node, buf[0], buf.length, 0);
                if (n < 0) {
                    String err = lib.dsm_last_error();
                    if (!err.equals(lastError)) {
                        LOG.warn("dsm_poll_events failed: {}", err);
                        lastError = err;
                    }
                }
                for (int i = 0; i < n && i < buf.length; i++) {
                    buf[i].read();
                    batch.add(buf[i].toEvent());
                }
                }
            }
            for (DsmEvent e : batch) {
                try {
                    events.accept(e);
                } catch (RuntimeException ex) {
                    LOG.warn("DSM event delivery failed: {}", ex.toString());
                }
            }
            if (n < buf.length) {
                try {
                    Thread.sleep(n < 0 ? Math.max(1000, interval) : interval);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "LinuxDsm[" + settings + "]";
    }
}
