package org.opendsi.ss.internal;

import java.util.ArrayList;
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
import org.opendsi.ss.SecurityServer;
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
        KeyManagementService km = keyManagement;
        if (km == null) {
            // the root CA is key management's, built from org.opendsi.keys: wait for it
            pending = props;
            LOG.info("Security Server waits for key management (it owns the cluster root CA)");
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
        ServerRuntime rt = new ServerRuntime(cfg, policyService, transport, new FileServerStore(cfg.dataDir().resolve("ss")),
                ca, keySettings, () -> dsm);
        rt.localDenials(auditDenials.digest());
        rt.start();
        runtime = rt;
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("dsi.node.role", cfg.role().label());
        p.put("dsi.cluster", cfg.cluster());
        registrations.add(context.registerService(new String[] {SecurityServer.class.getName(),
                AlarmService.class.getName()}, rt, p));
        registrations.add(context.registerService(PolicyListener.class, rt, p));
        config = cfg;
        enrolEmbeddedNode();
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

    private void stop() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException ignored) {
                // already gone
            }
        }
        registrations.clear();
        config = null;
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }
}
