package org.opendsi.audit.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.opendsi.api.alarm.AlarmService;
import org.opendsi.api.audit.AuditAnchor;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.policy.RuleInfo;
import org.opendsi.dsm.DsmEventListener;
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
 * The auditing security service (configuration PID {@code org.opendsi.audit}). Registers
 * {@link AuditService} with {@code dsi.service.type=auditing} and {@code dsi.service.version} =
 * this bundle's version (DSI's presence announcement), and a {@link DsmEventListener} that turns
 * every kernel DSM event into an audit record. Configuration changes apply live.
 */
@Component(immediate = true, configurationPid = AuditingComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class AuditingComponent {

    public static final String PID = "org.opendsi.audit";
    private static final Logger LOG = LoggerFactory.getLogger(AuditingComponent.class);

    private final AlarmOutbox alarms = new AlarmOutbox(1000);
    private volatile PolicyService policy;
    private volatile Map<Integer, RuleInfo> ruleCache = Map.of();
    private volatile long ruleCacheVersion = -1;
    private AuditRuntime runtime;
    private volatile AuditAnchor anchor;

    /** The Security Manager, which anchors the journal's checkpoints on the Security Server. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAuditAnchor(AuditAnchor a) {
        anchor = a;
    }

    void unbindAuditAnchor(AuditAnchor a) {
        if (anchor == a) {
            anchor = null;
        }
    }
    private ServiceRegistration<?> registration;
    /** {@link AuditingStatsMBean} for Karaf's JMX whiteboard. */
    private ServiceRegistration<?> statsRegistration;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindPolicyService(PolicyService p) {
        policy = p;
        ruleCacheVersion = -1;
    }

    void unbindPolicyService(PolicyService p) {
        if (policy == p) {
            policy = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAlarmService(AlarmService a) {
        alarms.setService(a);
    }

    void unbindAlarmService(AlarmService a) {
        alarms.unsetService(a);
    }

    @Activate
    void activate(BundleContext ctx, Map<String, Object> config) throws IOException {
        AuditSettings s = AuditSettings.from(config);
        alarms.setMax(s.alarmBacklog());
        runtime = new AuditRuntime(s, nodeName(s), this::rule, alarms, Clock.systemUTC(), () -> anchor);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("dsi.service.type", AuditService.SERVICE_TYPE);
        props.put("dsi.service.version", ctx.getBundle().getVersion().toString());
        props.put("service.description", "DSI auditing service: audit journal, detectors, syslog forwarding");
        registration = ctx.registerService(new String[] {AuditService.class.getName(), DsmEventListener.class.getName()},
                runtime, props);
        statsRegistration = ctx.registerService(AuditingStatsMBean.class, new AuditingStats(runtime),
                new Hashtable<>(Map.of("jmx.objectname", AuditingStats.OBJECT_NAME)));
        LOG.info("Auditing service {} started: journal {}, {} denials per flow within {} s raise an alarm, syslog {}",
                props.get("dsi.service.version"), s.dir(), s.denialCount(), s.windowSeconds(),
                s.syslogEnabled() ? s.syslogTarget() : "off");
    }

    @Modified
    void modified(Map<String, Object> config) throws IOException {
        runtime.reconfigure(AuditSettings.from(config));
    }

    @Deactivate
    void deactivate() {
        if (statsRegistration != null) {
            try {
                statsRegistration.unregister();
            } catch (IllegalStateException ignored) {
                // already gone with the bundle
            }
            statsRegistration = null;
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException ignored) {
                // already gone with the bundle
            }
            registration = null;
        }
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }

    /** The deciding rule as the current policy knows it (cached per policy version). */
    private EventMapper.RuleRef rule(int ruleId, long eventPolicyVersion) {
        PolicyService p = policy;
        if (p == null) {
            return EventMapper.RuleRef.UNKNOWN;
        }
        Optional<PolicyVersion> cur = p.current();
        long v = cur.map(PolicyVersion::version).orElse(0L);
        if (v != ruleCacheVersion) {
            Map<Integer, RuleInfo> m = new HashMap<>();
            List<RuleInfo> list = p.rules();
            for (RuleInfo r : list) {
                m.put(r.id(), r);
            }
            ruleCache = m;
            ruleCacheVersion = v;
        }
        RuleInfo r = ruleCache.get(ruleId);
        if (r == null) {
            return EventMapper.RuleRef.UNKNOWN;
        }
        String label = r.text();
        if (eventPolicyVersion != 0 && eventPolicyVersion != v) {
            label += " [as in policy " + v + "]";
        }
        return new EventMapper.RuleRef(r.line(), label);
    }

    private static String nodeName(AuditSettings s) {
        if (!s.node().isBlank()) {
            return s.node();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
