package org.opendsi.policy.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.policy.PolicyChange;
import org.opendsi.api.policy.PolicyCheck;
import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.policy.RuleInfo;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.policy.DspLimits;
import org.opendsi.policy.DspParser;
import org.opendsi.policy.PolicyDiffer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's policy service (configuration PID {@value #PID}).
 *
 * <p>Properties: {@code history.dir} (default {@code ${karaf.data}/dsi/policy}, or
 * {@code ./data/dsi/policy} outside Karaf), {@code history.max} (versions kept, default 50),
 * {@code boot.policy} (DSP applied at start when the history is empty), {@code max.size.bytes}
 * (largest DSP accepted, default 8 MiB).
 *
 * <p>The current policy is an immutable snapshot in a volatile field, swapped atomically; updates
 * and rollbacks are serialised. A version is persisted before it becomes current, so a policy that
 * cannot be stored is not applied; a rejected policy touches neither the current policy nor the
 * history. On activation the newest stored version becomes current again. Listeners registered as
 * {@link PolicyListener} are told of every new current policy, and of the current one when they
 * appear.
 */
@Component(service = PolicyService.class, configurationPid = PolicyServiceImpl.PID, immediate = true)
public class PolicyServiceImpl implements PolicyService {

    public static final String PID = "org.opendsi.policy";
    public static final String HISTORY_DIR = "history.dir";
    public static final String HISTORY_MAX = "history.max";
    public static final String BOOT_POLICY = "boot.policy";
    public static final String MAX_SIZE_BYTES = "max.size.bytes";
    public static final int DEFAULT_HISTORY_MAX = 50;

    private static final Logger LOG = LoggerFactory.getLogger(PolicyServiceImpl.class);

    /** The current policy and its version, swapped as one. */
    private record State(CompiledPolicy policy, PolicyVersion version, byte[] source) {
    }

    private static final Decision[] NO_POLICY = new Decision[Permission.SLOTS];

    static {
        for (Permission p : Permission.values()) {
            NO_POLICY[p.bit()] = new Decision(false, p, 0, 0, "default deny (no policy loaded)", false);
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final List<PolicyListener> listeners = new CopyOnWriteArrayList<>();
    private volatile State state;
    private volatile PolicyHistory history;
    private volatile DspParser parser = new DspParser();
    private volatile int historyMax = DEFAULT_HISTORY_MAX;

    @Activate
    public void activate(Map<String, ?> config) throws IOException {
        lock.lock();
        try {
            String dir = string(config, HISTORY_DIR, null);
            if (dir == null || dir.isBlank()) {
                String data = System.getProperty("karaf.data");
                dir = (data != null ? data : "./data") + "/dsi/policy";
            }
            historyMax = Math.max(1, (int) number(config, HISTORY_MAX, DEFAULT_HISTORY_MAX));
            long maxBytes = number(config, MAX_SIZE_BYTES, DspLimits.DEFAULT_MAX_BYTES);
            parser = new DspParser(DspLimits.defaults().withMaxBytes(maxBytes));
            history = new PolicyHistory(Path.of(dir));
            List<PolicyHistory.Entry> entries = history.load();
            state = null;
            for (int i = entries.size() - 1; i >= 0 && state == null; i--) {
                PolicyHistory.Entry e = entries.get(i);
                try {
                    byte[] xml = history.readXml(e);
                    CompiledPolicy p = DspCompiler.compile(parser.parse(e.xml().toString(), xml));
                    state = new State(p.withVersion(e.version().version()), e.version(), xml);
                    LOG.info("policy version {} ({}) restored from {}", e.version().version(),
                            p.summary().name(), history.dir());
                } catch (PolicyException | IOException ex) {
                    LOG.error("stored policy version {} cannot be restored, trying an older one: {}",
                            e.version().version(), ex.getMessage());
                }
            }
            String boot = string(config, BOOT_POLICY, null);
            if (entries.isEmpty() && boot != null && !boot.isBlank()) {
                try {
                    Path file = Path.of(boot.trim());
                    apply(file.toString(), parser.read(file), "boot.policy " + file, 0);
                } catch (PolicyException e) {
                    LOG.error("boot policy {} rejected, no policy is current: {}", boot, e.errors());
                }
            } else if (state != null) {
                notifyListeners(state);
            }
        } finally {
            lock.unlock();
        }
    }

    @Deactivate
    public void deactivate() {
        LOG.debug("policy service stopped");
    }

    @Reference(service = PolicyListener.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "removeListener")
    public void addListener(PolicyListener listener) {
        lock.lock();
        try {
            listeners.add(listener);
            State s = state;
            if (s != null) {
                tell(listener, s);
            }
        } finally {
            lock.unlock();
        }
    }

    public void removeListener(PolicyListener listener) {
        listeners.remove(listener);
    }

    // ---------------------------------------------------------------- PolicyService

    @Override
    public PolicyCheck check(Path file) {
        try {
            CompiledPolicy p = DspCompiler.compile(parser.parse(file));
            return new PolicyCheck(file.toString(), p.summary(), List.of(), p.warnings());
        } catch (PolicyException e) {
            return new PolicyCheck(file.toString(), null, e.errors(), List.of());
        }
    }

    @Override
    public PolicyVersion update(Path file) throws PolicyException {
        return apply(file.toString(), parser.read(file), file.toAbsolutePath().normalize().toString(), 0);
    }

    @Override
    public PolicyVersion updateSource(String source, byte[] dspXml) throws PolicyException {
        return apply(source, dspXml, source, 0);
    }

    @Override
    public PolicyVersion applyVersion(String source, byte[] dspXml, long version) throws PolicyException {
        if (version <= 0) {
            throw new PolicyException(source, "policy version " + version + " is not positive");
        }
        return apply(source, dspXml, source, version);
    }

    @Override
    public Optional<byte[]> currentSource() {
        State s = state;
        return s == null ? Optional.empty() : Optional.of(s.source().clone());
    }

    @Override
    public Optional<PolicyVersion> current() {
        State s = state;
        return s == null ? Optional.empty() : Optional.of(s.version());
    }

    /** The current compiled policy (model, tables, engine), empty when none is loaded. */
    public Optional<CompiledPolicy> currentPolicy() {
        State s = state;
        return s == null ? Optional.empty() : Optional.of(s.policy());
    }

    @Override
    public List<RuleInfo> rules() {
        State s = state;
        return s == null ? List.of() : s.policy().rules();
    }

    @Override
    public Optional<CompiledTable> currentTable() {
        State s = state;
        return s == null ? Optional.empty() : Optional.of(s.policy().table());
    }

    @Override
    public List<PolicyChange> diff(Path file) throws PolicyException {
        CompiledPolicy next = DspCompiler.compile(parser.parse(file));
        State s = state;
        return PolicyDiffer.diff(s == null ? null : s.policy().table(), next.table());
    }

    @Override
    public List<PolicyVersion> history() {
        PolicyHistory h = history;
        if (h == null) {
            return List.of();
        }
        try {
            List<PolicyVersion> out = new ArrayList<>();
            for (PolicyHistory.Entry e : h.load()) {
                out.add(e.version());
            }
            return out;
        } catch (IOException e) {
            LOG.error("cannot read the policy history in {}: {}", h.dir(), e.toString());
            return List.of();
        }
    }

    @Override
    public Optional<byte[]> source(long version) {
        State s = state;
        if (s != null && s.version().version() == version) {
            return Optional.of(s.source().clone());
        }
        PolicyHistory h = history;
        if (h == null) {
            return Optional.empty();
        }
        try {
            Optional<PolicyHistory.Entry> e = PolicyHistory.find(h.load(), version);
            return e.isPresent() ? Optional.of(h.readXml(e.get())) : Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read policy version {} from the history in {}: {}", version, h.dir(), e.toString());
            return Optional.empty();
        }
    }

    @Override
    public PolicyVersion rollback(long version) throws PolicyException {
        lock.lock();
        try {
            PolicyHistory h = requireHistory();
            List<PolicyHistory.Entry> entries;
            byte[] xml;
            PolicyHistory.Entry entry;
            try {
                entries = h.load();
                entry = PolicyHistory.find(entries, version).orElse(null);
                if (entry == null) {
                    List<Long> kept = entries.stream().map(e -> e.version().version()).toList();
                    throw new PolicyException("history", "no policy version " + version + " is kept; kept versions: "
                            + kept);
                }
                xml = h.readXml(entry);
            } catch (IOException e) {
                throw new PolicyException(h.dir().toString(), "cannot read the policy history: " + e);
            }
            return apply(entry.xml().toString(), xml, "rollback to " + version, 0);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Decision decide(int subjectScid, int subjectSnid, int targetScid, Permission permission) {
        State s = state;
        if (s == null) {
            return NO_POLICY[permission.bit()];
        }
        return s.policy().decide(subjectScid, subjectSnid, targetScid, permission);
    }

    // ---------------------------------------------------------------- internals

    private PolicyHistory requireHistory() throws PolicyException {
        PolicyHistory h = history;
        if (h == null) {
            throw new PolicyException("history", "the policy service is not active");
        }
        return h;
    }

    /**
     * Validates and compiles, then persists, makes current and notifies. forcedVersion 0 takes the
     * next local version; otherwise that exact version, which must be newer than every known one.
     */
    private PolicyVersion apply(String fileName, byte[] xml, String source, long forcedVersion)
            throws PolicyException {
        CompiledPolicy compiled = DspCompiler.compile(parser.parse(fileName, xml));
        for (PolicyError w : compiled.warnings()) {
            LOG.warn("{}", w);
        }
        lock.lock();
        try {
            PolicyHistory h = requireHistory();
            List<PolicyHistory.Entry> entries;
            PolicyVersion pv;
            try {
                entries = h.load();
                long max = entries.isEmpty() ? 0 : entries.get(entries.size() - 1).version().version();
                State cur = state;
                if (cur != null) {
                    max = Math.max(max, cur.version().version());
                }
                if (forcedVersion != 0 && forcedVersion <= max) {
                    throw new PolicyException(List.of(new PolicyError(fileName, 0, 0, "policy version " + forcedVersion
                            + " is not newer than version " + max + " known here; refused (replayed or out of order)")));
                }
                pv = new PolicyVersion(forcedVersion != 0 ? forcedVersion : max + 1, Instant.now(), source,
                        compiled.summary());
                h.store(pv, xml);
            } catch (IOException e) {
                throw new PolicyException(List.of(new PolicyError(fileName, 0, 0, "policy is valid but could not be"
                        + " stored in " + h.dir() + " (" + e + "); the current policy is unchanged")));
            }
            State next = new State(compiled.withVersion(pv.version()), pv, xml.clone());
            state = next;
            LOG.info("policy version {} ({}, digest {}) is current, from {}", pv.version(), pv.summary().name(),
                    pv.summary().digest(), source);
            prune(h, entries);
            notifyListeners(next);
            return pv;
        } finally {
            lock.unlock();
        }
    }

    /** Keeps the newest historyMax versions (entries excludes the version just stored). */
    private void prune(PolicyHistory h, List<PolicyHistory.Entry> older) {
        int excess = older.size() + 1 - historyMax;
        for (int i = 0; i < excess && i < older.size(); i++) {
            long v = older.get(i).version().version();
            try {
                h.delete(v);
            } catch (IOException e) {
                LOG.warn("cannot delete old policy version {}: {}", v, e.toString());
            }
        }
    }

    private void notifyListeners(State s) {
        for (PolicyListener l : listeners) {
            tell(l, s);
        }
    }

    private static void tell(PolicyListener l, State s) {
        try {
            l.policyApplied(s.version(), s.policy().table());
        } catch (RuntimeException e) {
            LOG.error("policy listener {} failed on version {}", l, s.version().version(), e);
        }
    }

    private static String string(Map<String, ?> config, String key, String def) {
        Object v = config == null ? null : config.get(key);
        return v == null ? def : v.toString();
    }

    private static long number(Map<String, ?> config, String key, long def) {
        String v = string(config, key, null);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            LOG.warn("configuration {}: '{}' is not a number, using {}", key, v, def);
            return def;
        }
    }
}
