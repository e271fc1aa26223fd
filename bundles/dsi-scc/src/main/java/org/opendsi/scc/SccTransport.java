package org.opendsi.scc;

import java.net.InetSocketAddress;

/**
 * Factory of SCC servers and clients. Registered as an OSGi service by this bundle; outside OSGi
 * (unit tests of other bundles, benchmarks) use {@link #newTransport()}.
 * All clients created by one transport share one small I/O thread pool, so one JVM can hold
 * thousands of client connections; servers share a second one.
 */
public interface SccTransport extends AutoCloseable {

    /** Creates a server (not yet bound: call {@link SccServer#start()}). */
    SccServer createServer(SccCredentials credentials, SccOptions options, InetSocketAddress bindAddress);

    /**
     * Creates a client of the hub at {@code host:port} (not yet connecting: call
     * {@link SccClient#connect()}). {@link SccOptions#serverIdentityPrefix()} is required.
     */
    SccClient createClient(SccCredentials credentials, SccOptions options, String host, int port);

    /** Closes every server and client created by this transport and releases the I/O threads. */
    @Override
    void close();

    /** A transport with default I/O thread counts (2 for clients, 2 for servers). */
    static SccTransport newTransport() {
        return new org.opendsi.scc.internal.NettySccTransport();
    }

    /** A transport with explicit I/O thread counts. */
    static SccTransport newTransport(int clientIoThreads, int serverIoThreads) {
        return new org.opendsi.scc.internal.NettySccTransport(clientIoThreads, serverIoThreads);
    }
}
