package org.opendsi.dsm.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmEventListener;
import org.opendsi.dsm.DsmProcess;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.internal.linux.LinuxDsm;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers this node's {@link Dsm} (configuration PID {@code org.opendsi.dsm}). It delegates to
 * the Linux implementation or, when the kernel part cannot run, to an {@link UnavailableDsm}; a
 * configuration change swaps the delegate without unregistering the service. Audit events go to
 * every {@link DsmEventListener} (whiteboard); while there is none they are logged at INFO and held
 * (bounded) for the next listener.
 */
@Component(service = Dsm.class, configurationPid = DsmSettings.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true, property = {"dsi.component=dsm"})
public class DsmComponent implements Dsm {

    private static final Logger LOG = LoggerFactory.getLogger(DsmComponent.class);
    private static final Logger EVENTS = LoggerFactory.getLogger("org.opendsi.dsm.events");

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

    private final List<DsmEventListener> listeners = new CopyOnWriteArrayList<>();

    private BundleContext context;
    private volatile Dsm delegate = new UnavailableDsm(UnavailableDsm.Reason.CONFIGURATION, "not activated yet", null);
    private volatile DsmSettings settings;
    /** The last table handed to loadTable, kept to load it when the kernel part becomes available. */
    private volatile CompiledTable wantedTable;

    /**
     * Events that arrived while no listener was registered (e.g. the auditing bundle being updated):
     * held, bounded, and handed to the next listener that appears, so a hot swap loses none.
     */
    private final java.util.ArrayDeque<DsmEvent> held = new java.util.ArrayDeque<>();
    private long heldDropped;
    static final int HELD_MAX = 10_000;
    private final Object eventLock = new Object();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(DsmEventListener l) {
        List<DsmEvent> backlog;
        long dropped;
        synchronized (eventLock) {
            listeners.add(l);
            backlog = new java.util.ArrayList<>(held);
            held.clear();
            dropped = heldDropped;
            heldDropped = 0;
        }
        if (dropped > 0) {
            LOG.warn("{} DSM events were dropped while no DsmEventListener was registered (buffer of {})", dropped,
                    HELD_MAX);
        }
        for (DsmEvent e : backlog) {
            try {
                l.dsmEvent(e);
            } catch (RuntimeException ex) {
                LOG.warn("DsmEventListener {} failed: {}", l, ex.toString());
            }
        }
    }

    void removeListener(DsmEventListener l) {
        listeners.remove(l);
    }

    @Activate
    void activate(BundleContext ctx, Map<String, Object> props) {
        this.context = ctx;
        configure(props);
    }

    @Modified
    void modified(Map<String, Object> props) {
        configure(props);
    }

    @Deactivate
    void deactivate() {
        Dsm d = delegate;
        DsmSettings s = settings;
        if (d instanceof LinuxDsm linux) {
            if (s != null && s.detachOnStop()) {
                try {
                    linux.detach();
                } catch (RuntimeException e) {
                    LOG.error("detach.on.stop: detaching the DSM failed: {}", e.getMessage());
                }
            } else {
                LOG.info("dsi-dsm stopping: the kernel DSM keeps enforcing from its pins in {}",
                        s == null ? "?" : s.pinDir());
            }
            linux.close();
        }
        delegate = new UnavailableDsm(UnavailableDsm.Reason.DETACHED, "dsi-dsm is stopped", s);
    }

    private synchronized void configure(Map<String, Object> props) {
        Platform platform = Platform.current();
        DsmSettings next;
        try {
            next = DsmSettings.parse(props, platform.mountsText());
        } catch (IllegalArgumentException e) {
            closeDelegate();
            delegate = new UnavailableDsm(UnavailableDsm.Reason.CONFIGURATION, "invalid configuration "
                    + DsmSettings.PID + ": " + e.getMessage(), settings);
            LOG.error("DSM {}", delegate.status().summary());
            return;
        }
        Dsm current = delegate;
        if (current instanceof LinuxDsm linux && current.isAvailable()) {
            DsmSettings had = linux.settings();
            if (had.sameAttachment(next)) {
                settings = next; // already in force (e.g. after setNodeId persisted the SnID)
                return;
            }
            if (had.libraryPath().equals(next.libraryPath()) && had.bpfObject().equals(next.bpfObject())
                    && next.enabled()) {
                try {
                    linux.reattach(next);
                    settings = next;
                    return;
                } catch (RuntimeException e) {
                    LOG.error("DSM re-attach with the new configuration failed: {}", e.getMessage());
                    closeDelegate();
                    delegate = new UnavailableDsm(UnavailableDsm.Reason.ATTACH_FAILED, e.getMessage(), next);
                    settings = next;
                    return;
                }
            }
        }
        closeDelegate();
        settings = next;
        Dsm opened;
        try {
            opened = DsmFactory.open(next, platform, DsmComponent.class.getClassLoader(),
                    context == null ? null : context::getDataFile, this::persistSnid, this::deliver);
        } catch (LinkageError | RuntimeException e) {
            opened = new UnavailableDsm(UnavailableDsm.Reason.LIBRARY_LOAD_FAILED, "libdsm could not be used: " + e,
                    next);
        }
        delegate = opened;
        if (opened.isAvailable()) {
            LOG.info("DSM available: SnID {}, enforcing", Integer.toUnsignedString(next.snid()));
            CompiledTable t = wantedTable;
            if (t != null) {
                try {
                    if (opened.tableVersion() != t.policyVersion()) {
                        opened.loadTable(t);
                        LOG.info("policy version {} loaded into the kernel DSM", t.policyVersion());
                    }
                } catch (RuntimeException e) {
                    LOG.error("loading policy version {} into the kernel DSM failed: {}", t.policyVersion(),
                            e.getMessage());
                }
            }
        } else {
            LOG.warn("DSM {}", opened.status().summary());
        }
    }

    private void closeDelegate() {
        if (delegate instanceof LinuxDsm linux) {
            linux.close();
        }
    }

    /** Writes snid into ConfigAdmin PID org.opendsi.dsm (the @Modified that follows finds it in force). */
    private void persistSnid(int snid) throws IOException {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            throw new IOException("ConfigurationAdmin is not available");
        }
        Configuration c = ca.getConfiguration(DsmSettings.PID, null);
        Dictionary<String, Object> p = c.getProperties();
        if (p == null) {
            p = new Hashtable<>();
        }
        p.put("snid", Integer.toUnsignedString(snid));
        c.update(p);
    }

    void deliver(DsmEvent e) {
        synchronized (eventLock) {
            if (listeners.isEmpty()) {
                EVENTS.info("DSM event: {}", e.describe());
                if (held.size() >= HELD_MAX) {
                    held.pollFirst();
                    heldDropped++;
                }
                held.addLast(e);
                return;
            }
        }
        for (DsmEventListener l : listeners) {
            try {
                l.dsmEvent(e);
            } catch (RuntimeException ex) {
                LOG.warn("DsmEventListener {} failed: {}", l, ex.toString());
            }
        }
    }

    // ---- Dsm, delegated ----

    @Override
    public DsmStatus status() {
        return delegate.status();
    }

    @Override
    public int nodeId() {
        return delegate.nodeId();
    }

    @Override
    public int capabilities() {
        return delegate.capabilities();
    }

    @Override
    public List<String> describe() {
        return delegate.describe();
    }

    @Override
    public long tableVersion() {
        return delegate.tableVersion();
    }

    @Override
    public DsmCounters counters() {
        return delegate.counters();
    }

    @Override
    public void createContext(int scid) {
        delegate.createContext(scid);
    }

    @Override
    public void removeContext(int scid) {
        delegate.removeContext(scid);
    }

    @Override
    public void movePid(int pid, int scid) {
        delegate.movePid(pid, scid);
    }

    @Override
    public int contextOf(int pid) {
        return delegate.contextOf(pid);
    }

    @Override
    public java.util.Optional<UnixPeer> unixPeer(int fd) {
        return delegate.unixPeer(fd);
    }

    @Override
    public java.util.OptionalInt socketContext(java.net.InetSocketAddress local, java.net.InetSocketAddress remote) {
        return delegate.socketContext(local, remote);
    }

    @Override
    public void installLabelKeys(int sendEpoch, List<LabelKey> keys) {
        delegate.installLabelKeys(sendEpoch, keys);
    }

    @Override
    public LabelKeyState labelKeys() {
        return delegate.labelKeys();
    }

    @Override
    public int labelBinary(Path path, int scid) {
        return delegate.labelBinary(path, scid);
    }

    @Override
    public int readLabel(Path path) {
        return delegate.readLabel(path);
    }

    @Override
    public void loadTable(CompiledTable table) {
        wantedTable = table;
        delegate.loadTable(table);
    }

    @Override
    public List<DsmProcess> processes() {
        return delegate.processes();
    }

    @Override
    public synchronized void setNodeId(int snid) {
        delegate.setNodeId(snid);
        settings = delegate instanceof LinuxDsm linux ? linux.settings() : settings;
    }

    @Override
    public void detach() {
        delegate.detach();
    }
}
