package org.opendsi.access.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.access.AccessControlService;
import org.opendsi.api.access.PeerContext;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.audit.ServiceAuditEvent;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.service.SecurityServices;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access control service (configuration PID {@code org.opendsi.access}). While it is registered,
 * it — not dsi-dsm's fallback loader — turns each applied policy into DSM state (contexts + table);
 * while it is stopped or being replaced the kernel keeps the last table (maps are pinned).
 * <ul>
 * <li>{@code labels}: inline {@code path = scid} entries (comma or new line separated);
 * {@code labels.file}: a file of {@code path = scid} lines; {@code labels.poll.seconds} (5): how often the
 * file is checked for changes. Labels are applied at activation and on every change.</li>
 * <li>{@code socket.enabled} (true), {@code socket.path} ({@code ${karaf.data}/dsi/access.sock}),
 * {@code socket.group} (the socket is 0660 owned by that group; none: this process's group), {@code socket.max.clients} (16).</li>
 * </ul>
 */
@Component(service = {AccessControlService.class, PolicyListener.class}, configurationPid = AccessControlComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        property = {SecurityServices.TYPE + "=" + SecurityServices.ACCESS_CONTROL,
                SecurityServices.VERSION + "=" + AccessControlComponent.VERSION})
public class AccessControlComponent implements AccessControlService, PolicyListener {

    public static final String PID = "org.opendsi.access";
    public static final String VERSION = "1.0.0";
    private static final Logger LOG = LoggerFactory.getLogger(AccessControlComponent.class);

    /**
     * Dynamic: the policy service binds this component as a PolicyListener while it activates, so a
     * static reference back to it would be a cycle.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile PolicyService policy;

    @Reference
    Dsm dsm;

    /** What this service does to the kernel, for the journal; waits (bounded) while auditing is away. */
    final AuditForwarder audit = new AuditForwarder(DEFAULT_AUDIT_BACKLOG);
    static final int DEFAULT_AUDIT_BACKLOG = 1000;

    /** Access control needs auditing: bound whenever one is registered, dynamically. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindAudit")
    void bindAudit(AuditService a) {
        audit.bind(a);
    }

    void unbindAudit(AuditService a) {
        audit.unbind(a);
    }

    private final TableLoader tables = new TableLoader();
    private final LabelSync labels = new LabelSync();
    private volatile PeerResolver peers;
    private AccessSocketServer server;
    private ScheduledExecutorService poller;
    private volatile Map<String, Object> config = Map.of();
    private volatile FileTime labelsFileStamp;

    public AccessControlComponent() {
    }

    AccessControlComponent(PolicyService policy, Dsm dsm) {
        this.policy = policy;
        this.dsm = dsm;
    }

    @Activate
    synchronized void activate(Map<String, Object> props) {
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsi-access-labels");
            t.setDaemon(true);
            return t;
        });
        peers = new PeerResolver(new ProcNet(Paths.get("/proc")), this::contextOfSafe, dsm::socketContext, dsm.nodeId());
        configure(props, true);
    }

    @Modified
    synchronized void modified(Map<String, Object> props) {
        configure(props, false);
    }

    @Deactivate
    synchronized void deactivate() {
        if (server != null) {
            server.close();
            server = null;
        }
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
        LOG.info("access control service stopped; the kernel keeps table version {}", tables.version());
    }

    private void configure(Map<String, Object> props, boolean first) {
        Map<String, Object> old = config;
        config = props == null ? Map.of() : Map.copyOf(props);
        audit.setMax(Integer.parseInt(str("audit.backlog.max", String.valueOf(DEFAULT_AUDIT_BACKLOG))));
        syncLabels(first);
        long poll = Long.parseLong(str("labels.poll.seconds", "5"));
        if (first && poll > 0) {
            poller.scheduleWithFixedDelay(this::pollLabelsFile, poll, poll, TimeUnit.SECONDS);
        }
        boolean socketChanged = first || !Objects.equals(old.get("socket.path"), config.get("socket.path"))
                || !Objects.equals(old.get("socket.group"), config.get("socket.group"))
                || !Objects.equals(old.get("socket.enabled"), config.get("socket.enabled"))
                || !Objects.equals(old.get("socket.max.clients"), config.get("socket.max.clients"));
        if (socketChanged) {
            if (server != null) {
                server.close();
                server = null;
            }
            if (Boolean.parseBoolean(str("socket.enabled", "true"))) {
                AccessProtocol protocol = new AccessProtocol(this, peers);
                AccessSocketServer s = new AccessSocketServer(socketPath(), str("socket.group", ""),
                        Integer.parseInt(str("socket.max.clients", "16")), protocol::answer);
                try {
                    s.start();
                    server = s;
                } catch (IOException | RuntimeException e) {
                    s.close();
                    LOG.error("access control decision API not available on {}: {}", s.path(), e.toString());
                }
            }
        }
    }

    Path socketPath() {
        String p = str("socket.path", "");
        if (p.isBlank()) {
            return Paths.get(System.getProperty("karaf.data", System.getProperty("java.io.tmpdir")), "dsi", "access.sock");
        }
        return Paths.get(p);
    }

    private String str(String key, String dflt) {
        Object v = config.get(key);
        return v == null ? dflt : String.valueOf(v).trim();
    }

    private Path labelsFile() {
        String f = str("labels.file", "");
        return f.isBlank() ? null : Paths.get(f);
    }

    /** Reads the configured labels and applies them; all = label every entry again. */
    synchronized List<String> syncLabels(boolean all) {
        Map<Path, Integer> wanted;
        Path file = labelsFile();
        try {
            labelsFileStamp = file != null && Files.exists(file) ? Files.getLastModifiedTime(file) : null;
            wanted = LabelConfig.merge(List.of(LabelConfig.parse(str("labels", ""), "labels"), LabelConfig.read(file)));
        } catch (IOException | IllegalArgumentException e) {
            LOG.error("binary labels not changed, the configuration is invalid: {}", e.getMessage());
            return List.of(e.getMessage());
        }
        return labels.sync(dsm, wanted, all, (binary, before, after) -> audit.report(new ServiceAuditEvent(Instant.now(),
                SecurityServices.ACCESS_CONTROL, AuditRecord.TYPE_LABEL, after, tables.version(), binary.toString(),
                after == 0 ? "Access control removed the label of " + binary + " (was context " + label(before) + ")"
                        : "Access control labeled " + binary + " with context " + label(after)
                        + (before > 0 ? " (was " + label(before) + ")" : ""))));
    }

    private static String label(int scid) {
        return Integer.toUnsignedString(scid);
    }

    private void pollLabelsFile() {
        try {
            Path file = labelsFile();
            FileTime now = file != null && Files.exists(file) ? Files.getLastModifiedTime(file) : null;
            if (!Objects.equals(now, labelsFileStamp)) {
                LOG.info("labels file {} changed", file);
                syncLabels(false);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("checking the labels file failed: {}", e.toString());
        }
    }

    Map<Path, Integer> appliedLabels() {
        return labels.applied();
    }

    @Override
    public void policyApplied(PolicyVersion version, CompiledTable table) {
        TableLoader.Result r = tables.apply(dsm, table);
        String source = version == null ? "?" : version.source();
        if (r.problem().isEmpty()) {
            LOG.info("policy version {} ({}) in force: contexts {}, table loaded into the kernel DSM", r.version(),
                    source, r.contexts());
            audit.report(new ServiceAuditEvent(Instant.now(), SecurityServices.ACCESS_CONTROL,
                    AuditRecord.TYPE_POLICY_LOADED, 0, r.version(), "", "Access control loaded policy version "
                    + r.version() + " (" + source + ") into the kernel DSM: contexts " + r.contexts()));
        } else {
            LOG.warn("policy version {}: contexts {}; {}", r.version(), r.contexts(), r.problem());
            audit.report(new ServiceAuditEvent(Instant.now(), SecurityServices.ACCESS_CONTROL,
                    AuditRecord.TYPE_POLICY_LOADED, 0, r.version(), "", "Access control could not load policy version "
                    + r.version() + " (" + source + ") into the kernel DSM: " + r.problem()));
        }
    }

    @Override
    public Decision decide(int subjectScid, int subjectSnid, int targetScid, Permission permission) {
        PolicyService p = policy;
        if (p == null) {
            return new Decision(false, permission, 0, 0, "no policy service", false);
        }
        return p.decide(subjectScid, subjectSnid, targetScid, permission);
    }

    @Override
    public long tableVersion() {
        return tables.version();
    }

    @Override
    public PeerContext peerContext(InetSocketAddress local, InetSocketAddress remote) {
        return peers.resolve(local, remote, null);
    }

    private int contextOfSafe(int pid) {
        try {
            return dsm.contextOf(pid);
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
