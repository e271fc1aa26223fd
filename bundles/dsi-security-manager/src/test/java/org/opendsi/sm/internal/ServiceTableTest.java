package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.sm.SecurityServiceInfo;
import org.opendsi.sm.ServiceState;

class ServiceTableTest {

    private static ServiceTable.Announced svc(long id, String type) {
        return new ServiceTable.Announced(id, type, "1.0.0", "x." + type, 40 + id, "dsi-" + type, "0.1.0");
    }

    private static SecurityServiceInfo row(List<SecurityServiceInfo> rows, String type) {
        return rows.stream().filter(r -> r.type().equals(type)).findFirst().orElseThrow();
    }

    @Test
    void emptyRegistryListsEveryExpectedTypeAsMissing() {
        List<SecurityServiceInfo> rows = new ServiceTable().rows();
        assertEquals(List.of("access-control", "authentication", "auditing", "key-management"),
                rows.stream().map(SecurityServiceInfo::type).toList());
        rows.forEach(r -> assertEquals(ServiceState.MISSING, r.state()));
    }

    @Test
    void serviceWithMissingDependencyIsDegradedAndRecoversWhenItArrives() {
        ServiceTable t = new ServiceTable();
        t.put(svc(1, "access-control"));
        t.put(svc(2, "key-management"));
        SecurityServiceInfo acs = row(t.rows(), "access-control");
        assertEquals(ServiceState.DEGRADED, acs.state());
        assertEquals(List.of("auditing"), acs.missingDependencies());
        assertEquals(41, acs.bundleId());
        assertEquals("dsi-access-control", acs.bundleSymbolicName());
        assertEquals(ServiceState.ACTIVE, t.state("key-management"));
        assertEquals(ServiceState.MISSING, t.state("auditing"));

        t.put(svc(3, "auditing"));
        assertEquals(ServiceState.ACTIVE, t.state("access-control"));
        t.put(svc(4, "authentication"));
        assertEquals(ServiceState.ACTIVE, t.state("authentication"));

        t.remove(2);
        assertEquals(ServiceState.MISSING, t.state("key-management"));
        assertEquals(ServiceState.DEGRADED, t.state("authentication"));
        assertEquals(List.of("key-management"), row(t.rows(), "authentication").missingDependencies());
        t.remove(1);
        assertEquals(ServiceState.MISSING, t.state("access-control"));
    }

    @Test
    void unknownTypesAreListedAfterTheExpectedOnes() {
        ServiceTable t = new ServiceTable();
        t.put(svc(9, "integration"));
        t.put(svc(5, "key-management"));
        List<String> types = t.rows().stream().map(SecurityServiceInfo::type).toList();
        assertEquals(List.of("access-control", "authentication", "auditing", "key-management", "integration"), types);
        assertEquals(ServiceState.ACTIVE, t.state("integration"));
    }
}
