package org.opendsi.sm.internal;

import java.util.List;

import org.opendsi.api.service.SecurityServices;
import org.opendsi.sm.SecurityServiceInfo;
import org.opendsi.sm.SecurityServiceRegistry;
import org.opendsi.sm.ServiceState;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every service announced with {@code (dsi.service.type=*)}, whatever its interface (the
 * tracker is opened with trackAllServices, so a service whose API this bundle does not import is
 * seen too). Installing, updating or stopping a service bundle updates the registry at once.
 */
@Component(service = SecurityServiceRegistry.class, immediate = true)
public class SecurityServiceRegistryComponent implements SecurityServiceRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SecurityServiceRegistryComponent.class);

    private final ServiceTable table = new ServiceTable();
    private ServiceTracker<Object, ServiceTable.Announced> tracker;

    @Activate
    void activate(BundleContext ctx) throws InvalidSyntaxException {
        tracker = new ServiceTracker<>(ctx, ctx.createFilter("(" + SecurityServices.TYPE + "=*)"),
                new ServiceTrackerCustomizer<Object, ServiceTable.Announced>() {
                    @Override
                    public ServiceTable.Announced addingService(ServiceReference<Object> ref) {
                        ServiceTable.Announced a = announced(ctx, ref);
                        table.put(a);
                        LOG.info("security service {} {} registered by {} ({}); services: {}", a.type(), a.version(),
                                a.bundleSymbolicName(), a.implementation(), summary());
                        return a;
                    }

                    @Override
                    public void modifiedService(ServiceReference<Object> ref, ServiceTable.Announced old) {
                        table.remove(old.serviceId());
                        table.put(announced(ctx, ref));
                    }

                    @Override
                    public void removedService(ServiceReference<Object> ref, ServiceTable.Announced a) {
                        table.remove(a.serviceId());
                        LOG.info("security service {} {} of {} went away; services: {}", a.type(), a.version(),
                                a.bundleSymbolicName(), summary());
                    }
                });
        tracker.open(true);
    }

    @Deactivate
    void deactivate() {
        if (tracker != null) {
            tracker.close();
        }
    }

    static ServiceTable.Announced announced(BundleContext ctx, ServiceReference<?> ref) {
        long id = (Long) ref.getProperty("service.id");
        String type = String.valueOf(ref.getProperty(SecurityServices.TYPE));
        Object v = ref.getProperty(SecurityServices.VERSION);
        Bundle b = ref.getBundle();
        return new ServiceTable.Announced(id, type, v == null ? "" : String.valueOf(v), implementation(ctx, ref),
                b == null ? -1 : b.getBundleId(), b == null ? "" : String.valueOf(b.getSymbolicName()),
                b == null ? "" : b.getVersion().toString());
    }

    /**
     * The implementation class: a DS component's name (by default its class; never activates the
     * component from inside a service event), else the service object's class, else the first objectClass.
     */
    private static String implementation(BundleContext ctx, ServiceReference<?> ref) {
        Object name = ref.getProperty("component.name");
        if (name != null) {
            return String.valueOf(name);
        }
        try {
            Object service = ctx.getService(ref);
            if (service != null) {
                try {
                    return service.getClass().getName();
                } finally {
                    ctx.ungetService(ref);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("cannot get service {}: {}", ref, e.toString());
        }
        String[] oc = (String[]) ref.getProperty("objectClass");
        return oc == null || oc.length == 0 ? "?" : oc[0];
    }

    private String summary() {
        StringBuilder sb = new StringBuilder();
        for (SecurityServiceInfo r : table.rows()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(r.type()).append('=').append(r.state());
        }
        return sb.toString();
    }

    @Override
    public List<SecurityServiceInfo> services() {
        return table.rows();
    }

    @Override
    public ServiceState state(String type) {
        return table.state(type);
    }
}
