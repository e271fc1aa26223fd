package org.opendsi.ss.internal;

import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.KeyManagementService;
import org.opendsi.keys.NodeKeys;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
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
 * Runs the Security Server when {@code org.opendsi.node} says {@code role = server} or {@code embedded}
 * (the default), and registers {@link SecurityServer}, {@link AlarmService} (alarms stored at once) and
 * the {@link PolicyListener} that signs and distributes every policy that becomes current. A
 * configuration change tears everything down and rebuilds it (live reconfiguration).
 * On an {@code embedded} node the node is its own member too: the local root CA issues the node CA
 * of this node's key-management service (so that the authentication service can certify processes).
 * The label key settings ({@code label.keys.*}, {@link LabelKeySettings}) are read from the same PID;
 * this node's DSM, when one is registered, holds the Security Server's own node's label keys.
 */
@Component(service = {}, immediate = true, configurationPid = NodeConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class SecurityServerComponent {

    private static final Logger LOG = LoggerFactory.getLogger(SecurityServerComponent.class);

    @Reference
    PolicyService policyService;

    @Reference
    SccTransport transport;

    private KeyManagementService keyManagement;
    /** This node's DSM: its label keys are installed into it (bound and unbound at any time). */
    private volatile Dsm dsm;
    private BundleContext context;
    private volatile ServerRuntime runtime;
    private NodeConfig config;
    /** The configuration last given, while the Security Server waits for key management. */
    private Map<String, Object> pending;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    synchronized void bindKeyManagement(KeyManagementService k) {
        keyManagement = k;
        if (runtime == null && pending != null && context != null) {
            configure(pending);
        }
        enrolEmbeddedNode();
    }

    synchronized void unbindKeyManagement(KeyManagementService k) {
        if (keyManagement == k) {
            keyManagement = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindDsm")
    void bindDsm(Dsm d) {
        dsm = d;
        localDsmChanged();
    }

    void unbindDsm(Dsm d) {
        if (dsm == d) {
            dsm = null;
            localDsmChanged();
        }
    }

    /** This node's own denials, for the cluster's view (its auditing bound and unbound at any time). */
    private final org.opendsi.cluster.protocol.AuditDenials auditDenials = new org.opendsi.cluster.protocol.AuditDenials();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindAudit")
    void bindAudit(org.opendsi.api.audit.AuditService a) {
        auditDenials.bind(a);
    }

    void unbindAudit(org.opendsi.api.audit.AuditService a) {
        auditDenials.unbind(a);
    }

    private void localDsmChanged() {
        ServerRuntime rt = runtime;
        if (rt != null) {
            rt.localDsmChanged();
        }
    }

    @Activate
    synchronized void activate(BundleContext ctx, Map<String, Object> props) {
        this.context = ctx;
        configure(props);
    }

    @Modified
    synchronized void modified(Map<String, Object> props) {
        configure(props);
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
        auditDenials.close();
    }

    private void configure(Map<String, Object> props) {
        stop();
        NodeConfig cfg;
        LabelKeySettings keySettings;
        try {
            cfg = NodeConfig.from(props);
            keySettings = LabelKeySettings.from(props);
        } catch (IllegalArgumentException e) {
            LOG.error("Security Server not started: {}", e.getMessage());
            return;
        }
        if (!cfg.role().runsServer()) {
            LOG.debug("role {}: no Security Server on this node", cfg.role().label());
            return;
        }
        lastProps = props;
        String storeKind = props == null || props.get("store") == null ? "file" : props.get("store").toString().trim();
        if (!storeKind.equals("file") && !storeKind.equals("postgresql")) {
            LOG.error("Security Server not started: {}: store = '{}' (file or postgresql)", NodeConfig.PID, storeKind);
            return;
        }
        KeyManagementService km = keyManagement;
        if (km == null) {
            // the root CA is key management's, built from org.opendsi.keys: wait for it
            pending = props;
            LOG.info("Security Server waits for key management (it owns the cluster root CA)");
            return;
        }
        if (storeKind.equals("postgresql")) {
            configureShared(cfg, keySettings, props);
            return;
        }
        ClusterCa ca;
        try {
            // the CA stays where the Security Server always kept it (data.dir/keys/ca); its key algorithm,
            // validities and keystore come from org.opendsi.keys
            ca = km.openClusterCa(cfg.dataDir().resolve("keys"));
        } catch (RuntimeException e) {
            pending = props;
            LOG.error("Security Server not started: cannot open the cluster root CA: {}", e.getMessage());
            return;
        }
        pending = null;
        Path files = cfg.dataDir().resolve("ss");
        ServerRuntime rt = new ServerRuntime(cfg, policyService, transport, new FileServerStore(files), ca, keySettings,
                () -> dsm);
        rt.sharedMode(SharedMode.sole(
                () -> new StoreHealth("file", files.toString(), Files.isDirectory(files), "", Instant.now(), null)));
        startActive(rt, cfg);
        enrolEmbeddedNode();
    }

    private void startActive(ServerRuntime rt, NodeConfig cfg) {
        rt.localDenials(auditDenials.digest());
        rt.start();
        runtime = rt;
        registrations.add(context.registerService(new String[] {SecurityServer.class.getName(),
                AlarmService.class.getName()}, rt, serviceProperties(cfg, "active")));
        registrations.add(context.registerService(PolicyListener.class, rt, serviceProperties(cfg, "active")));
        config = cfg;
    }

    private static Hashtable<String, Object> serviceProperties(NodeConfig cfg, String standing) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("dsi.node.role", cfg.role().label());
        p.put("dsi.cluster", cfg.cluster());
        p.put("dsi.ss.standing", standing);
        return p;
    }

    // ---------------------------------------------------------------- several servers on a shared store

    /** The shared store (PostgreSQL bundle), when one is registered. */
    private volatile SharedStore sharedStore;
    private SharedStore.Leadership leadership;
    /** Lease changes are handled here, off the lease's own thread (it must keep renewing meanwhile). */
    private java.util.concurrent.ExecutorService leaseEvents;
    private java.util.concurrent.ScheduledFuture<?> standbyFollower;
    private java.util.concurrent.ScheduledFuture<?> standbyLabelKeys;
    /** The standby this server is while it does not hold the lease, or null. */
    private StandbyServer standby;
    private java.util.concurrent.ScheduledExecutorService standbyTimer;
    private boolean warmedUp;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindSharedStore")
    synchronized void bindSharedStore(SharedStore s) {
        sharedStore = s;
        if (runtime == null && leadership == null && pending != null && context != null) {
            configure(pending);
        }
    }

    synchronized void unbindSharedStore(SharedStore s) {
        if (sharedStore == s) {
            sharedStore = null;
            if (leadership != null) {
                Map<String, Object> last = lastProps;
                stop();
                pending = last;
                LOG.warn("Security Server stopped: its shared store went away (bundle stopped or reconfigured)");
            }
        }
    }

    private Map<String, Object> lastProps;

    /**
     * {@code store = postgresql}: compete for the lease; serve while holding it (a {@link ServerRuntime} on the
     * shared store), be a hot standby otherwise (a {@link StandbyServer} that refuses changes naming the
     * active server, and follows the cluster's policy on this node).
     */
    private void configureShared(NodeConfig cfg, LabelKeySettings keySettings, Map<String, Object> props) {
        SharedStore shared = sharedStore;
        if (shared == null) {
            pending = props;
            LOG.info("Security Server waits for its shared store (store = postgresql: feature dsi-store-postgres and "
                    + "etc/org.opendsi.ss.postgres.cfg)");
            return;
        }
        pending = null;
        config = cfg;
        leaseEvents = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "dsi-ss-lease-events"));
        standbyTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsi-ss-standby");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.ExecutorService events = leaseEvents;
        String advertised = (cfg.listenHost().equals("0.0.0.0") || cfg.listenHost().equals("::") ? cfg.address()
                : cfg.listenHost()) + ":" + cfg.listenPort();
        leadership = shared.lead(cfg.name(), advertised, status -> events.execute(() -> onLease(status, cfg, keySettings)));
        becomeStandby(cfg, shared);
    }

    private synchronized void onLease(LeaseStatus status, NodeConfig cfg, LabelKeySettings keySettings) {
        SharedStore shared = sharedStore;
        SharedStore.Leadership l = leadership;
        if (shared == null || l == null || cfg != config) {
            return; // reconfigured or stopped meanwhile
        }
        boolean activeNow = l.status().active();
        if (activeNow && runtime == null) {
            takeOver(cfg, keySettings, shared, l);
        } else if (!activeNow && runtime != null) {
            LOG.warn("Security Server steps down: {}", l.status().storeError() != null
                    ? "the store did not answer (" + l.status().storeError() + ")" : "the lease is held by "
                    + l.status().describeHolder());
            unregisterAll();
            runtime.close();
            runtime = null;
            becomeStandby(cfg, shared);
        }
    }

    private void takeOver(NodeConfig cfg, LabelKeySettings keySettings, SharedStore shared, SharedStore.Leadership l) {
        long t0 = System.nanoTime();
        KeyManagementService km = keyManagement;
        if (km == null) {
            LOG.error("Security Server holds the lease but key management is not there; giving the lease up");
            l.close();
            return;
        }
        ServerRuntime rt;
        try {
            ClusterCa ca = km.openClusterCa(cfg.dataDir().resolve("keys"), shared.caState());
            String bound = shared.bindRoot(ca.rootFingerprint());
            if (!bound.equals(ca.rootFingerprint())) {
                LOG.error("Security Server NOT taking over: its root CA {} is not the cluster's {} (recorded in the shared "
                        + "store). Give this server the first server's root key (data/dsi/keys/ca) before it starts.",
                        ca.rootFingerprint(), bound);
                l.close();
                return;
            }
            rt = new ServerRuntime(cfg, policyService, transport, shared.serverStore(), ca, keySettings, () -> dsm);
            rt.sharedMode(SharedMode.on(shared, l));
        } catch (RuntimeException e) {
            LOG.error("Security Server cannot take over: {}", e.getMessage(), e);
            return;
        }
        stopStandby();
        startActive(rt, cfg);
        LOG.info("Security Server is ACTIVE (lease epoch {}), serving in {} ms", l.status().epoch(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private void becomeStandby(NodeConfig cfg, SharedStore shared) {
        StandbyServer standby = new StandbyServer(cfg, shared, leadership);
        this.standby = standby;
        registrations.add(context.registerService(new String[] {SecurityServer.class.getName(),
                AlarmService.class.getName()}, standby, serviceProperties(cfg, "standby")));
        // this node enforces the cluster's policy while it waits, and takes over from the version it runs
        standbyFollower = standbyTimer.scheduleWithFixedDelay(() -> {
            try {
                StoredPolicy.adopt(shared.serverStore(), policyService);
            } catch (RuntimeException e) {
                LOG.debug("Standby: cannot follow the stored policy: {}", e.toString());
            }
            standby.flushAlarms();
        }, 0, 1, java.util.concurrent.TimeUnit.SECONDS);
        // ... and holds the label keys of its own node's pairs, which the active server does not send it
        standbyLabelKeys = standbyTimer.scheduleWithFixedDelay(new StandbyLabelKeys(cfg, shared,
                new LocalLabelKeys(() -> dsm)), 0, LabelKeyNodes.FOLLOW_PERIOD.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        if (!warmedUp) {
            warmedUp = true;
            KeyManagementService km = keyManagement;
            standbyTimer.execute(() -> StandbyWarmup.run(km, transport));
        }
        LOG.info("Security Server is a STANDBY (active: {})", leadership.status().describeHolder());
    }

    private void stopStandby() {
        StandbyServer was = standby;
        standby = null;
        if (was != null) {
            was.flushAlarms(); // at a takeover the store answers (the lease was just taken there)
            for (StoredAlarm a : was.unstoredAlarms()) {
                LOG.warn("Alarm {} of this node NOT stored (no store): [{}] {}: {}", a.alarm().id(), a.alarm().priority(),
                        a.alarm().source(), a.alarm().text());
            }
        }
        if (standbyFollower != null) {
            standbyFollower.cancel(false);
            standbyFollower = null;
        }
        if (standbyLabelKeys != null) {
            standbyLabelKeys.cancel(false);
            standbyLabelKeys = null;
        }
        unregisterAll();
    }

    /** Embedded role: issues this node's node CA from the local root when the node keys have none. */
    private void enrolEmbeddedNode() {
        KeyManagementService km = keyManagement;
        ServerRuntime rt = runtime;
        NodeConfig cfg = config;
        if (km == null || rt == null || cfg == null || cfg.role() != NodeRole.EMBEDDED) {
            return;
        }
        try {
            NodeKeys keys = km.nodeKeys();
            if (keys.isJoined()) {
                return;
            }
            ClusterCa ca = rt.ca();
            if (!keys.cluster().equals(ca.cluster())) {
                LOG.warn("Embedded node: key management is for cluster '{}', the Security Server for '{}': no node CA issued",
                        keys.cluster(), ca.cluster());
                return;
            }
            keys.install(ca.issueNode(keys.prepareJoin(cfg.name()), cfg.snid()), ca.rootFingerprint());
            LOG.info("Embedded node: node CA for SnID {} issued by the local root CA", Integer.toUnsignedString(cfg.snid()));
        } catch (RuntimeException e) {
            LOG.warn("Embedded node: cannot issue this node's node CA: {}", e.getMessage());
        }
    }

    private void unregisterAll() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException ignored) {
                // already gone
            }
        }
        registrations.clear();
    }

    private void stop() {
        unregisterAll();
        config = null;
        if (leadership != null) {
            stopStandby();
            leaseEvents.shutdownNow();
            standbyTimer.shutdownNow();
            leadership.close();
            leadership = null;
        }
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }
}
