package org.opendsi.sm;

/** State of a security service in the Security Manager's registry. */
public enum ServiceState {
    /** Registered, and every service it depends on is registered too. */
    ACTIVE,
    /** Registered, but a service it depends on is missing: it runs with reduced function. */
    DEGRADED,
    /** An expected type (access-control, authentication, auditing, key-management) nobody registers. */
    MISSING
}
