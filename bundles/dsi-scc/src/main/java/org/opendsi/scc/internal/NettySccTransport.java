package org.opendsi.scc.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccTransport;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The Netty SCC transport. One NIO event loop group (small, fixed) is shared by all clients of this
 * transport, one by all its servers (plus one acceptor thread). Registered as the
 * {@link SccTransport} OSGi service (PID {@code org.opendsi.scc}); usable with {@code new} outside OSGi.
 */
@Component(service = SccTransport.class, configurationPid = "org.opendsi.scc",
        property = {"dsi.scc.implementation=netty-tls13"})
@Designate(ocd = NettySccTransport.Config.class)
public final class NettySccTransport implements SccTransport {

    @ObjectClassDefinition(name = "DSI SCC transport", description = "I/O threads of the Secure Communication Channel")
    public @interface Config {
        @AttributeDefinition(description = "I/O threads shared by all SCC clients of this JVM")
        int clientIoThreads() default 2;

        @AttributeDefinition(description = "I/O threads shared by all SCC servers of this JVM")
        int serverIoThreads() default 2;
    }

    private int clientThreads;
    private int serverThreads;
    private EventLoopGroup clientGroup;
    private EventLoopGroup serverBoss;
    private EventLoopGroup serverGroup;
    private volatile boolean closed;
    private final Set<AutoCloseable> owned = ConcurrentHashMap.newKeySet();

    public NettySccTransport() {
        this(2, 2);
    }

    public NettySccTransport(int clientIoThreads, int serverIoThreads) {
        if (clientIoThreads < 1 || serverIoThreads < 1) {
            throw new IllegalArgumentException("I/O thread counts must be >= 1");
        }
        this.clientThreads = clientIoThreads;
        this.serverThreads = serverIoThreads;
    }

    @Activate
    void activate(Config config) {
        clientThreads = Math.max(1, config.clientIoThreads());
        serverThreads = Math.max(1, config.serverIoThreads());
    }

    @Deactivate
    void deactivate() {
        close();
    }

    @Override
    public SccServer createServer(SccCredentials credentials, SccOptions options, InetSocketAddress bindAddress) {
        checkOpen();
        return new NettySccServer(this, credentials, options, bindAddress);
    }

    @Override
    public SccClient createClient(SccCredentials credentials, SccOptions options, String host, int port) {
        checkOpen();
        return new NettySccClient(this, credentials, options, host, port);
    }

    private void checkOpen() {
        if (closed) {
            throw new SccException(SccException.CLOSED, "SCC transport is closed");
        }
    }

    synchronized EventLoopGroup clientGroup() {
        if (clientGroup == null) {
            clientGroup = new NioEventLoopGroup(clientThreads, new DefaultThreadFactory("scc-client", true));
        }
        return clientGroup;
    }

    synchronized EventLoopGroup serverGroup() {
        if (serverGroup == null) {
            serverGroup = new NioEventLoopGroup(serverThreads, new DefaultThreadFactory("scc-server", true));
        }
        return serverGroup;
    }

    synchronized EventLoopGroup serverBossGroup() {
        if (serverBoss == null) {
            serverBoss = new NioEventLoopGroup(1, new DefaultThreadFactory("scc-accept", true));
        }
        return serverBoss;
    }

    void register(AutoCloseable c) {
        owned.add(c);
    }

    void unregister(AutoCloseable c) {
        owned.remove(c);
    }

    @Override
    public void close() {
        closed = true;
        for (AutoCloseable c : new ArrayList<>(owned)) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        List<EventLoopGroup> groups;
        synchronized (this) {
            groups = new ArrayList<>();
            if (clientGroup != null) {
                groups.add(clientGroup);
            }
            if (serverGroup != null) {
                groups.add(serverGroup);
            }
            if (serverBoss != null) {
                groups.add(serverBoss);
            }
            clientGroup = serverGroup = serverBoss = null;
        }
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : groups) {
            g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
