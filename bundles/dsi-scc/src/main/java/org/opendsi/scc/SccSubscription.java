package org.opendsi.scc;

/** Handle of a subscription or request handler registration; {@link #close()} removes it. */
@FunctionalInterface
public interface SccSubscription extends AutoCloseable {
    @Override
    void close();
}
