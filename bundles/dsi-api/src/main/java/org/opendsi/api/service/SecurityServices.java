package org.opendsi.api.service;

import java.util.List;
import java.util.Map;

/**
 * DSI's presence announcement: every security service registers its OSGi service with the
 * properties {@link #TYPE} and {@link #VERSION}; the Security Manager's registry tracks every
 * service carrying {@code (dsi.service.type=*)} and reports it with {@code dsi:services}.
 */
public final class SecurityServices {

    /** Service property naming the kind of security service, e.g. {@code access-control}. */
    public static final String TYPE = "dsi.service.type";
    /** Service property with the implementation's version (free form, e.g. {@code 1.0.0}). */
    public static final String VERSION = "dsi.service.version";

    public static final String ACCESS_CONTROL = "access-control";
    public static final String AUTHENTICATION = "authentication";
    public static final String AUDITING = "auditing";
    public static final String KEY_MANAGEMENT = "key-management";

    /** The types a DSI node expects, in display order. */
    public static final List<String> EXPECTED = List.of(ACCESS_CONTROL, AUTHENTICATION, AUDITING, KEY_MANAGEMENT);

    /**
     * What each type needs to work fully: access control journals its decisions through auditing;
     * authentication issues process certificates with key management.
     */
    public static final Map<String, List<String>> DEPENDENCIES = Map.of(
            ACCESS_CONTROL, List.of(AUDITING),
            AUTHENTICATION, List.of(KEY_MANAGEMENT),
            AUDITING, List.of(),
            KEY_MANAGEMENT, List.of());

    /** The types type depends on (empty for unknown types). */
    public static List<String> dependenciesOf(String type) {
        return DEPENDENCIES.getOrDefault(type, List.of());
    }

    private SecurityServices() {
    }
}
