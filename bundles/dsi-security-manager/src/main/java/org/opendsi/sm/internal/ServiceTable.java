package org.opendsi.sm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.opendsi.api.service.SecurityServices;
import org.opendsi.sm.SecurityServiceInfo;
import org.opendsi.sm.ServiceState;

/**
 * The registry's logic, free of OSGi: the announced services by service id, and the rows with
 * states computed from the dependency graph. Thread-safe.
 */
final class ServiceTable {

    /** What is known of one registration. */
    record Announced(long serviceId, String type, String version, String implementation, long bundleId,
                     String bundleSymbolicName, String bundleVersion) {
    }

    private final Map<Long, Announced> byId = new ConcurrentHashMap<>();

    void put(Announced a) {
        byId.put(a.serviceId(), a);
    }

    void remove(long serviceId) {
        byId.remove(serviceId);
    }

    List<SecurityServiceInfo> rows() {
        List<Announced> all = new ArrayList<>(byId.values());
        Set<String> present = new LinkedHashSet<>();
        for (Announced a : all) {
            present.add(a.type());
        }
        all.sort(Comparator.comparingInt((Announced a) -> order(a.type())).thenComparing(Announced::type)
                .thenComparingLong(Announced::serviceId));
        List<SecurityServiceInfo> out = new ArrayList<>();
        for (Announced a : all) {
            List<String> deps = SecurityServices.dependenciesOf(a.type());
            List<String> missing = deps.stream().filter(d -> !present.contains(d)).toList();
            out.add(new SecurityServiceInfo(a.type(), a.implementation(), a.version(), a.serviceId(), a.bundleId(),
                    a.bundleSymbolicName(), a.bundleVersion(), missing.isEmpty() ? ServiceState.ACTIVE : ServiceState.DEGRADED,
                    deps, missing));
        }
        List<SecurityServiceInfo> missingRows = new ArrayList<>();
        for (String type : SecurityServices.EXPECTED) {
            if (!present.contains(type)) {
                List<String> deps = SecurityServices.dependenciesOf(type);
                missingRows.add(new SecurityServiceInfo(type, "", "", -1, -1, "", "", ServiceState.MISSING, deps,
                        deps.stream().filter(d -> !present.contains(d)).toList()));
            }
        }
        out.addAll(missingRows);
        out.sort(Comparator.comparingInt((SecurityServiceInfo r) -> order(r.type())));
        return out;
    }

    ServiceState state(String type) {
        ServiceState best = ServiceState.MISSING;
        for (SecurityServiceInfo r : rows()) {
            if (r.type().equals(type)) {
                if (r.state() == ServiceState.ACTIVE) {
                    return ServiceState.ACTIVE;
                }
                best = r.state();
            }
        }
        return best;
    }

    private static int order(String type) {
        int i = SecurityServices.EXPECTED.indexOf(type);
        return i < 0 ? SecurityServices.EXPECTED.size() : i;
    }
}
