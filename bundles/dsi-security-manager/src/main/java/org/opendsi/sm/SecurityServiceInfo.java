package org.opendsi.sm;

import java.util.List;

/**
 * One row of the Security Manager's service registry.
 *
 * @param type                 {@code dsi.service.type}
 * @param implementation       class of the service object ("" when MISSING)
 * @param version              {@code dsi.service.version} ("" when MISSING or not given)
 * @param serviceId            OSGi service.id (-1 when MISSING)
 * @param bundleId             id of the registering bundle (-1 when MISSING)
 * @param bundleSymbolicName   its symbolic name ("" when MISSING)
 * @param bundleVersion        its version ("" when MISSING): after {@code feature:install -u} or
 *                             {@code bundle:update} it shows which build is serving
 * @param state                ACTIVE, DEGRADED or MISSING
 * @param dependencies         the types this type depends on
 * @param missingDependencies  those of them nobody registers
 */
public record SecurityServiceInfo(String type, String implementation, String version, long serviceId,
                                  long bundleId, String bundleSymbolicName, String bundleVersion, ServiceState state,
                                  List<String> dependencies, List<String> missingDependencies) {
}
