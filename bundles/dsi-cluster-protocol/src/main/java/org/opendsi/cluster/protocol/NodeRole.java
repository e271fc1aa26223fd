package org.opendsi.cluster.protocol;

import java.util.Locale;

/** The role of a node, from {@code role} in {@code etc/org.opendsi.node.cfg}. */
public enum NodeRole {
    /** A single node that is its own Security Server (the default). */
    EMBEDDED,
    /** The cluster's Security Server. */
    SERVER,
    /** A Security Manager: joins a Security Server and enforces its policy. */
    MANAGER;

    public static NodeRole parse(String s) {
        if (s == null || s.isBlank()) {
            return EMBEDDED;
        }
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("role = '" + s + "' is not one of embedded, server, manager");
        }
    }

    public boolean runsServer() {
        return this != MANAGER;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
