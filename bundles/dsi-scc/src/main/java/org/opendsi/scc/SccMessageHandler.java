package org.opendsi.scc;

/**
 * Receives messages of a subscribed topic. Called on the connection's I/O thread, in arrival order
 * per connection: do not block; hand long work to an executor.
 */
@FunctionalInterface
public interface SccMessageHandler {
    void onMessage(SccPeer from, SccMessage message);
}
