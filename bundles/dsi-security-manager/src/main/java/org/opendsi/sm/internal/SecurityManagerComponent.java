package org.opendsi.sm.internal;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.KeyManagementService;
import org.opendsi.scc.SccTransport;
import org.opendsi.sm.SecurityManagerService;
import org.opendsi.cluster.protocol.NodeConfig;
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
 * Runs the Security Manager when {@code org.opendsi.node} says {@code role = manager}, registering
 * {@link SecurityManagerService} and {@link AlarmService} (bounded persistent queue towards the
 * Security Server). A configuration change tears down and rebuilds the channel (live reconfiguration).
 * The label keys the Security Server sends go into this node's DSM, bound whenever one is registered.
 */
@Component(service = {}, immediate = true, configurationPid = NodeConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class SecurityManagerComponent {

    private static final Logger LOG = LoggerFactory.getLogger(SecurityManagerComponent.class);

    @Reference
    PolicyService policyService;

    @Reference
    SccTransport transport;

    @Reference
    KeyManagementService keyManagement;

    /** This node's DSM: it holds the label keys (bound and unbound at any time). */
    private volatile Dsm dsm;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindDsm")
    void bindDsm(Dsm d) {
        dsm = d;
        dsmChanged();
    }

    void unbindDsm(Dsm d) {
        if (dsm == d) {
            dsm = null;
            dsmChanged();
        }
    }

    /** This node's denials, sent to the Security Server's view (auditing bound and unbound at any time). */
    private final org.opendsi.cluster.protocol.AuditDenials auditDenials = new org.opendsi.cluster.protocol.AuditDenials();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindAudit")
    void bindAudit(org.opendsi.api.audit.AuditService a) {
        auditDenials.bind(a);
    }

    void unbindAudit(org.opendsi.api.audit.AuditService a) {
        auditDenials.unbind(a);
    }

    private void dsmChanged() {
        ManagerRuntime rt = runtime;
        if (rt != null) {
            rt.dsmChanged();
        }
    }

    private BundleContext context;
    private volatile ManagerRuntime runtime;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

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
        try {
            cfg = NodeConfig.from(props);
        } catch (IllegalArgumentException e) {
            LOG.error("Security Manager not started: {}", e.getMessage());
            return;
        }
        if (cfg.role().runsServer()) {
            return;
        }
        ManagerRuntime rt = new ManagerRuntime(cfg, policyService, transport, keyManagement.nodeKeys(), () -> dsm);
        rt.denials(auditDenials.digest());
        rt.start();
        runtime = rt;
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("dsi.node.role", cfg.role().label());
        p.put("dsi.cluster", cfg.cluster());
        registrations.add(context.registerService(new String[] {SecurityManagerService.class.getName(),
                AlarmService.class.getName(), org.opendsi.api.audit.AuditAnchor.class.getName()}, rt, p));
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
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }
}
