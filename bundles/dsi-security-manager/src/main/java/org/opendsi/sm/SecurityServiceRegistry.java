package org.opendsi.sm;

import java.util.List;

/**
 * The Security Manager's lookup service: every OSGi service registered with
 * {@code dsi.service.type} and {@code dsi.service.version} (DSI's presence announcement), tracked
 * dynamically, with each type's dependencies checked.
 */
public interface SecurityServiceRegistry {

    /**
     * Registered services (ACTIVE or DEGRADED) followed by a MISSING row for each expected type
     * nobody registers; ordered by expected type, then other types, then service id.
     */
    List<SecurityServiceInfo> services();

    /** The state of a type: ACTIVE if any registered service of it is ACTIVE, else DEGRADED, else MISSING. */
    ServiceState state(String type);
}
