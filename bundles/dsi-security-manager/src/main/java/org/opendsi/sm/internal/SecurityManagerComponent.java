package org.opendsi.sm.internal;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.policy.PolicyService;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Security Manager when {@code org.opendsi.node} says {@code role = manager}, registering
 * {@link SecurityManagerService} and {@link AlarmService} (bounded persistent queue towards the
 * Security Server). A configuration change tears down and rebuilds the channel (live reconfiguration).
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

    private BundleContext context;
    private ManagerRuntime runtime;
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
        ManagerRuntime rt = new ManagerRuntime(cfg, policyService, transport, keyManagement.nodeKeys());
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
