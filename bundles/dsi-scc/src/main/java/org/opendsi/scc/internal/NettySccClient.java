package org.opendsi.scc.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateHandler;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccConnectionState;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccMessageHandler;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccRequestHandler;
import org.opendsi.scc.SccResumeHandler;
import org.opendsi.scc.SccStateListener;
import org.opendsi.scc.SccSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class NettySccClient implements SccClient, SccConnection.Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(NettySccClient.class);

    private final NettySccTransport transport;
    private final SccOptions options;
    private final String host;
    private final int port;
    private final PeerTrust trust;
    private volatile LocalIdentity local;
    private final Topics<SccMessageHandler> subscriptions = new Topics<>();
    private final Topics<SccRequestHandler> requestHandlers = new Topics<>();
    private final List<SccStateListener> stateListeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private final List<SccMessage> carriedUnacked = new ArrayList<>();
    private volatile SccResumeHandler resumeHandler;
    private volatile SccConnection current;
    private volatile SccConnectionState state = SccConnectionState.DISCONNECTED;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean everConnected;
    private int attempt;

    NettySccClient(NettySccTransport transport, SccCredentials credentials, SccOptions options, String host, int port) {
        if (options.serverIdentityPrefix() == null || options.serverIdentityPrefix().isEmpty()) {
            throw new SccException(SccException.CONFIG,
                    "SccOptions.serverIdentityPrefix is required for a client (e.g. spiffe://<cluster>/ss)");
        }
        this.transport = transport;
        this.options = options;
        this.host = host;
        this.port = port;
        this.trust = new PeerTrust(credentials, options.serverIdentityPrefix());
        this.local = identity(credentials);
    }

    private LocalIdentity identity(SccCredentials credentials) {
        try {
            return new LocalIdentity(credentials, SslContextBuilder.forClient()
                    .keyManager(credentials.key(), credentials.chain())
                    .trustManager(trust)
                    .protocols("TLSv1.3")
                    .sslProvider(SslProvider.JDK)
                    .endpointIdentificationAlgorithm(null) // identity is checked by PeerTrust (URI SAN)
                    .build());
        } catch (SSLException | IllegalArgumentException e) {
            throw new SccException(SccException.CONFIG, "cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    @Override
    public CompletableFuture<Void> updateCredentials(SccCredentials renewed) {
        LocalIdentity next = identity(renewed);
        trust.update(renewed);
        local = next; // reconnects present the renewed certificate in their handshake
        SccConnection c = current;
        if (c == null || !c.isReady()) {
            // a connection still in its handshake re-authenticates when it becomes ready
            return CompletableFuture.completedFuture(null);
        }
        return c.reauthenticate(next);
    }

    @Override
    public synchronized CompletableFuture<Void> connect() {
        if (closed) {
            return CompletableFuture.failedFuture(new SccException(SccException.CLOSED, "client is closed"));
        }
        if (!started) {
            started = true;
            transport.register(this);
            attemptConnect();
        }
        return firstConnect;
    }

    private void attemptConnect() {
        if (closed) {
            return;
        }
        setState(SccConnectionState.CONNECTING, null);
        Bootstrap b = new Bootstrap()
                .group(transport.clientGroup())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.handshakeTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(options.writeBufferHighWater() / 2, options.writeBufferHighWater()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        LocalIdentity presented = local;
                        SslHandler ssl = presented.sslContext().newHandler(ch.alloc(), host, port);
                        ssl.setHandshakeTimeoutMillis(options.handshakeTimeout().toMillis());
                        ch.pipeline().addLast("tls", ssl)
                                .addLast("frames", new FrameDecoder(options.maxFrameSize(),
                                        options.frameReadTimeout().toNanos()))
                                .addLast("idle", new IdleStateHandler(options.heartbeatTimeout().toMillis(), 0, 0,
                                        TimeUnit.MILLISECONDS))
                                .addLast("scc", new SccConnection(NettySccClient.this, true, options, trust, presented));
                    }
                });
        b.connect(host, port).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("SCC: connect to {}:{} failed: {}", host, port, f.cause().toString());
                lost(f.cause());
            }
        });
    }

    private synchronized void lost(Throwable cause) {
        if (closed) {
            return;
        }
        setState(SccConnectionState.DISCONNECTED, cause);
        long min = options.backoffMin().toMillis();
        long max = options.backoffMax().toMillis();
        long base = min << Math.min(attempt, 30);
        if (base <= 0 || base > max) {
            base = max;
        }
        attempt++;
        long delay = (long) (base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
        LOG.debug("SCC: reconnecting to {}:{} in {} ms (attempt {})", host, port, delay, attempt);
        transport.clientGroup().schedule(this::attemptConnect, delay, TimeUnit.MILLISECONDS);
    }

    private void setState(SccConnectionState s, Throwable cause) {
        state = s;
        for (SccStateListener l : stateListeners) {
            try {
                l.onStateChange(s, cause);
            } catch (RuntimeException e) {
                LOG.warn("SCC: state listener failed", e);
            }
        }
    }

    @Override
    public SccConnectionState state() {
        return state;
    }

    @Override
    public Optional<SccPeer> server() {
        SccConnection c = current;
        return c != null && c.isReady() ? Optional.of(c) : Optional.empty();
    }

    private SccConnection ready() {
        SccConnection c = current;
        return c != null && c.isReady() ? c : null;
    }

    @Override
    public CompletableFuture<Void> publish(String topic, JsonNode payload, SccPriority priority) {
        SccConnection c = ready();
        if (c == null) {
            return CompletableFuture.failedFuture(new SccException(SccException.NOT_CONNECTED,
                    "not connected to the hub " + host + ":" + port));
        }
        return c.publishAcked(topic, payload, priority);
    }

    @Override
    public CompletableFuture<SccMessage> request(String topic, JsonNode payload, SccPriority priority, Duration timeout) {
        SccConnection c = ready();
        if (c == null) {
            return CompletableFuture.failedFuture(new SccException(SccException.NOT_CONNECTED,
                    "not connected to the hub " + host + ":" + port));
        }
        return c.request(topic, payload, priority, timeout);
    }

    @Override
    public SccSubscription subscribe(String topicPattern, SccMessageHandler handler) {
        boolean fresh = !subscriptions.hasPattern(topicPattern);
        SccSubscription s = subscriptions.add(topicPattern, handler, () -> {
            if (!subscriptions.hasPattern(topicPattern)) {
                announce(Wire.UNSUB, topicPattern);
            }
        });
        if (fresh) {
            announce(Wire.SUB, topicPattern);
        }
        return s;
    }

    private void announce(String type, String pattern) {
        SccConnection c = ready();
        if (c != null) {
            ObjectNode n = Wire.envelope(type);
            n.set("topics", SccConnection.array(List.of(pattern)));
            c.send(Wire.encode(n, Integer.MAX_VALUE), SccPriority.CONTROL);
        }
    }

    @Override
    public SccSubscription onRequest(String topicPattern, SccRequestHandler handler) {
        return requestHandlers.add(topicPattern, handler, null);
    }

    @Override
    public SccSubscription addStateListener(SccStateListener listener) {
        stateListeners.add(listener);
        return () -> stateListeners.remove(listener);
    }

    @Override
    public void setResumeHandler(SccResumeHandler handler) {
        this.resumeHandler = handler;
    }

    @Override
    public boolean revalidateServer() {
        SccConnection c = current;
        if (c == null || !c.isReady()) {
            return false;
        }
        try {
            trust.validate(c.certificateChain().toArray(new X509Certificate[0]));
            return false;
        } catch (CertificateException e) {
            c.fatal(Wire.E_DISCONNECTED, "server certificate no longer valid: " + e.getMessage());
            return true;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        SccConnection c = current;
        if (c != null) {
            c.close("client closed");
            if (c.channel() != null) {
                c.channel().closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
        setState(SccConnectionState.CLOSED, null);
        firstConnect.completeExceptionally(new SccException(SccException.CLOSED, "client closed"));
        transport.unregister(this);
    }

    // ---------------------------------------------------------------- Endpoint

    @Override
    public ObjectNode hello() {
        ObjectNode n = Wire.envelope(Wire.HELLO);
        n.put("proto", Wire.VERSION);
        n.set("versions", Wire.MAPPER.createArrayNode().add(Wire.MAJOR));
        n.put("role", "client");
        n.put("agent", "dsi-scc");
        Set<String> patterns = new LinkedHashSet<>();
        subscriptions.entries().forEach(e -> patterns.add(e.pattern()));
        n.set("subs", SccConnection.array(patterns));
        return n;
    }

    @Override
    public void onReady(SccConnection c) {
        List<SccMessage> resend;
        synchronized (this) {
            if (closed) {
                c.close("client closed");
                return;
            }
            current = c;
            attempt = 0;
            resend = new ArrayList<>(carriedUnacked);
            carriedUnacked.clear();
        }
        // subscriptions added between HELLO and now
        Set<String> announced = new LinkedHashSet<>();
        subscriptions.entries().forEach(e -> announced.add(e.pattern()));
        if (!announced.isEmpty()) {
            ObjectNode n = Wire.envelope(Wire.SUB);
            n.set("topics", SccConnection.array(announced));
            c.send(Wire.encode(n, Integer.MAX_VALUE), SccPriority.CONTROL);
        }
        LOG.info("SCC: connected to hub {} at {} ({})", c.id(), c.remoteAddress(), c.tlsProtocol());
        if (everConnected) {
            SccResumeHandler h = resumeHandler;
            if (h != null) {
                try {
                    h.onResume(this, resend);
                } catch (RuntimeException e) {
                    LOG.warn("SCC: resume handler failed", e);
                }
            }
        }
        everConnected = true;
        setState(SccConnectionState.CONNECTED, null);
        firstConnect.complete(null);
    }

    @Override
    public LocalIdentity localIdentity() {
        return local;
    }

    @Override
    public void onClosed(SccConnection c, String reason, Throwable cause) {
        List<SccMessage> un = c.drainUnacked();
        synchronized (this) {
            carriedUnacked.addAll(un);
            if (current == c) {
                current = null;
            }
        }
        if (!closed) {
            LOG.info("SCC: connection to hub {}:{} lost: {}", host, port, reason);
            lost(cause != null ? cause : new SccException(SccException.CLOSED, reason));
        }
    }

    @Override
    public void onPublish(SccConnection c, SccMessage m) {
        for (Topics.Entry<SccMessageHandler> e : subscriptions.entries()) {
            if (Topics.matches(e.pattern(), m.topic())) {
                try {
                    e.handler().onMessage(c, m);
                } catch (RuntimeException ex) {
                    LOG.warn("SCC: handler of '{}' failed", m.topic(), ex);
                }
            }
        }
    }

    @Override
    public SccRequestHandler requestHandler(String topic) {
        return requestHandlers.first(topic);
    }
}
