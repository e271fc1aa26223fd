package org.opendsi.scc.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccMessageHandler;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPeerListener;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccRequestHandler;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class NettySccServer implements SccServer, SccConnection.Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(NettySccServer.class);

    private final NettySccTransport transport;
    private final SccOptions options;
    private final InetSocketAddress bindAddress;
    private final PeerTrust trust;
    private volatile LocalIdentity local;
    private final Map<String, SccConnection> peers = new ConcurrentHashMap<>();
    private final Set<SccConnection> connections = ConcurrentHashMap.newKeySet();
    private final Topics<SccMessageHandler> subscriptions = new Topics<>();
    private final Topics<SccRequestHandler> requestHandlers = new Topics<>();
    private final List<SccPeerListener> peerListeners = new CopyOnWriteArrayList<>();
    private volatile Channel serverChannel;

    NettySccServer(NettySccTransport transport, SccCredentials credentials, SccOptions options,
                   InetSocketAddress bindAddress) {
        this.transport = transport;
        this.options = options;
        this.bindAddress = bindAddress;
        this.trust = new PeerTrust(credentials, null);
        this.local = identity(credentials);
    }

    private LocalIdentity identity(SccCredentials credentials) {
        try {
            return new LocalIdentity(credentials, SslContextBuilder.forServer(credentials.key(), credentials.chain())
                    .trustManager(trust)
                    .clientAuth(ClientAuth.REQUIRE)
                    .protocols("TLSv1.3")
                    .sslProvider(SslProvider.JDK)
                    .build());
        } catch (SSLException | IllegalArgumentException e) {
            throw new SccException(SccException.CONFIG, "cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    @Override
    public CompletableFuture<Integer> updateCredentials(SccCredentials renewed) {
        LocalIdentity next = identity(renewed);
        trust.update(renewed);
        local = next; // from here on, every new handshake presents the renewed certificate
        // peers still in their handshake re-authenticate when they become ready (SccConnection.becomeReady)
        AtomicInteger accepted = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (SccConnection c : peers.values()) {
            all.add(c.reauthenticate(next).handle((v, e) -> {
                if (e == null) {
                    accepted.incrementAndGet();
                } else {
                    LOG.warn("SCC: peer {} did not take the renewed server certificate: {}", c.id(), e.getMessage());
                }
                return null;
            }));
        }
        LOG.info("SCC server on {}: certificate renewed in place (serial {}, expires {}); re-authenticating {} peer(s)",
                localAddress(), renewed.leaf().getSerialNumber().toString(16), renewed.leaf().getNotAfter().toInstant(),
                all.size());
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> accepted.get());
    }

    @Override
    public synchronized SccServer start() {
        if (serverChannel != null) {
            return this;
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.serverBossGroup(), transport.serverGroup())
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(options.writeBufferHighWater() / 2, options.writeBufferHighWater()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        LocalIdentity presented = local;
                        SslHandler ssl = presented.sslContext().newHandler(ch.alloc());
                        ssl.setHandshakeTimeoutMillis(options.handshakeTimeout().toMillis());
                        SccConnection c = new SccConnection(NettySccServer.this, false, options, trust, presented);
                        connections.add(c);
                        ch.pipeline().addLast("tls", ssl)
                                .addLast("frames", new FrameDecoder(options.maxFrameSize(),
                                        options.frameReadTimeout().toNanos()))
                                .addLast("idle", new IdleStateHandler(options.heartbeatTimeout().toMillis(), 0, 0,
                                        TimeUnit.MILLISECONDS))
                                .addLast("scc", c);
                    }
                });
        try {
            serverChannel = b.bind(bindAddress).sync().channel();
        } catch (Exception e) {
            throw new SccException(SccException.CONFIG, "cannot bind SCC server to " + bindAddress + ": " + e, e);
        }
        transport.register(this);
        LOG.info("SCC server listening on {}", serverChannel.localAddress());
        return this;
    }

    @Override
    public InetSocketAddress localAddress() {
        Channel ch = serverChannel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    @Override
    public CompletableFuture<Integer> publish(String topic, JsonNode payload, SccPriority priority) {
        byte[] frame;
        try {
            frame = Wire.encode(Wire.message(Wire.PUB, Wire.newId(), topic, priority, null, payload, false),
                    options.maxFrameSize());
        } catch (SccException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (SccConnection c : peers.values()) {
            if (!c.isReady() || c.remoteSubscriptions.stream().noneMatch(p -> Topics.matches(p, topic))) {
                continue;
            }
            CompletableFuture<Void> f = c.send(frame, priority);
            if (f.isCompletedExceptionally()) {
                LOG.warn("SCC: {} message on '{}' not queued to {}: {}", priority, topic, c, f.handle((v, e) -> e.getMessage()).join());
            }
            sends.add(f);
        }
        AtomicInteger ok = new AtomicInteger();
        CompletableFuture<?>[] handled = sends.stream()
                .map(f -> f.handle((v, e) -> e == null ? ok.incrementAndGet() : 0))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(handled).thenApply(v -> ok.get());
    }

    @Override
    public CompletableFuture<Void> publish(String peerId, String topic, JsonNode payload, SccPriority priority) {
        SccConnection c = peers.get(peerId);
        if (c == null || !c.isReady()) {
            return CompletableFuture.failedFuture(new SccException(SccException.NOT_CONNECTED, "no connected peer " + peerId));
        }
        byte[] frame;
        try {
            frame = Wire.encode(Wire.message(Wire.PUB, Wire.newId(), topic, priority, null, payload, false),
                    options.maxFrameSize());
        } catch (SccException e) {
            return CompletableFuture.failedFuture(e);
        }
        return c.send(frame, priority);
    }

    @Override
    public CompletableFuture<SccMessage> request(String peerId, String topic, JsonNode payload, SccPriority priority,
                                                 Duration timeout) {
        SccConnection c = peers.get(peerId);
        if (c == null || !c.isReady()) {
            return CompletableFuture.failedFuture(new SccException(SccException.NOT_CONNECTED, "no connected peer " + peerId));
        }
        return c.request(topic, payload, priority, timeout);
    }

    @Override
    public SccSubscription subscribe(String topicPattern, SccMessageHandler handler) {
        return subscriptions.add(topicPattern, handler, null);
    }

    @Override
    public SccSubscription onRequest(String topicPattern, SccRequestHandler handler) {
        return requestHandlers.add(topicPattern, handler, null);
    }

    @Override
    public SccSubscription addPeerListener(SccPeerListener listener) {
        peerListeners.add(listener);
        return () -> peerListeners.remove(listener);
    }

    @Override
    public List<SccPeer> peers() {
        return List.copyOf(peers.values());
    }

    @Override
    public Optional<SccPeer> peer(String peerId) {
        return Optional.ofNullable(peers.get(peerId));
    }

    @Override
    public boolean disconnect(String peerId, String reason) {
        SccConnection c = peers.get(peerId);
        if (c == null) {
            return false;
        }
        c.fatal(Wire.E_DISCONNECTED, reason == null ? "disconnected by the server" : reason);
        return true;
    }

    @Override
    public List<SccPeer> revalidatePeers() {
        List<SccPeer> dropped = new ArrayList<>();
        for (SccConnection c : peers.values()) {
            try {
                trust.validate(c.certificateChain().toArray(new java.security.cert.X509Certificate[0]));
            } catch (CertificateException e) {
                dropped.add(c);
                c.fatal(Wire.E_DISCONNECTED, "peer certificate no longer valid: " + e.getMessage());
            }
        }
        return dropped;
    }

    @Override
    public void close() {
        Channel ch = serverChannel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        for (SccConnection c : connections) {
            c.close("server closed");
        }
        for (SccConnection c : connections) {
            Channel cc = c.channel();
            if (cc != null) {
                cc.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
        transport.unregister(this);
    }

    // ---------------------------------------------------------------- Endpoint

    @Override
    public ObjectNode hello() {
        throw new IllegalStateException("server does not send the first HELLO");
    }

    @Override
    public void onReady(SccConnection c) {
        SccConnection old = peers.put(c.id(), c);
        if (old != null && old != c) {
            LOG.info("SCC: peer {} reconnected from {}; closing its previous connection", c.id(), c.remoteAddress());
            old.fatal(Wire.E_REPLACED, "replaced by a newer connection of the same identity");
        }
        LOG.info("SCC: peer {} connected from {} ({}, {})", c.id(), c.remoteAddress(), c.tlsProtocol(), c.cipherSuite());
        for (SccPeerListener l : peerListeners) {
            try {
                l.peerConnected(c);
            } catch (RuntimeException e) {
                LOG.warn("SCC: peer listener failed", e);
            }
        }
    }

    @Override
    public LocalIdentity localIdentity() {
        return local;
    }

    @Override
    public void onReauthenticated(SccConnection c) {
        if (peers.get(c.id()) != c) {
            return;
        }
        for (SccPeerListener l : peerListeners) {
            try {
                l.peerReauthenticated(c);
            } catch (RuntimeException e) {
                LOG.warn("SCC: peer listener failed", e);
            }
        }
    }

    @Override
    public void onClosed(SccConnection c, String reason, Throwable cause) {
        connections.remove(c);
        if (!c.id().isEmpty() && peers.remove(c.id(), c)) {
            LOG.info("SCC: peer {} disconnected: {}", c.id(), reason);
            for (SccPeerListener l : peerListeners) {
                try {
                    l.peerDisconnected(c, reason);
                } catch (RuntimeException e) {
                    LOG.warn("SCC: peer listener failed", e);
                }
            }
        }
    }

    @Override
    public void onPublish(SccConnection c, SccMessage m) {
        boolean handled = false;
        for (Topics.Entry<SccMessageHandler> e : subscriptions.entries()) {
            if (Topics.matches(e.pattern(), m.topic())) {
                handled = true;
                try {
                    e.handler().onMessage(c, m);
                } catch (RuntimeException ex) {
                    LOG.warn("SCC: handler of '{}' failed on a message from {}", m.topic(), c.id(), ex);
                }
            }
        }
        if (!handled) {
            LOG.debug("SCC: no handler for topic '{}' from {}", m.topic(), c.id());
        }
    }

    @Override
    public SccRequestHandler requestHandler(String topic) {
        return requestHandlers.first(topic);
    }

    /** Queued frames per lane of a peer (tests, diagnostics). */
    int[] queued(String peerId) {
        SccConnection c = peers.get(peerId);
        return c == null ? new int[3] : c.queued();
    }
}
