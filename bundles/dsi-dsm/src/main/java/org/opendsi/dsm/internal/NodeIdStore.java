package org.opendsi.dsm.internal;

/** Persists the node's SnID (in OSGi: property snid of ConfigAdmin PID org.opendsi.dsm). */
@FunctionalInterface
public interface NodeIdStore {
    /** @throws Exception when it cannot be persisted; the message names why */
    void persistSnid(int snid) throws Exception;

    /** For use outside OSGi: nothing is persisted. */
    NodeIdStore NONE = snid -> {
    };
}
