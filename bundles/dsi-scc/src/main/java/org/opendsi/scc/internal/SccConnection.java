package org.opendsi.scc.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccRequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SCC connection (last handler of the pipeline): HELLO, heartbeats, dispatch, per-priority
 * outbound queues, pending requests and acks. Also the {@link SccPeer} view of the other end.
 */
final class SccConnection extends ChannelDuplexHandler implements SccPeer {
    private static final Logger LOG = LoggerFactory.getLogger(SccConnection.class);
    private static final SccPriority[] LANES = SccPriority.values();
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Callbacks into the server or client that owns the connection (called on the I/O thread). */
    interface Endpoint {
        /** Client only: the HELLO to send after the TLS handshake. */
        ObjectNode hello();

        void onReady(SccConnection c);

        void onClosed(SccConnection c, String reason, Throwable cause);

        void onPublish(SccConnection c, SccMessage m);

        SccRequestHandler requestHandler(String topic);

        /** The credentials this endpoint presents now (they change when its certificate is renewed). */
        LocalIdentity localIdentity();

        /** The peer presented a renewed certificate on this connection (REAUTH accepted). */
        default void onReauthenticated(SccConnection c) {
        }
    }

    record Outbound(byte[] frame, CompletableFuture<Void> done) {
    }

    private record Unacked(SccMessage message, CompletableFuture<Void> done) {
    }

    private final Endpoint endpoint;
    private final boolean clientRole;
    private final SccOptions options;
    private final PeerTrust trust;
    /** This side's HELLO nonce; REAUTH proofs are bound to both sides' nonces (protocol 1.1). */
    private final byte[] localNonce = new byte[Wire.NONCE_BYTES];
    /** The peer's HELLO nonce; null when the peer speaks 1.0 (no REAUTH). */
    private volatile byte[] peerNonce;
    /** The local credentials the peer last authenticated (handshake or accepted REAUTH); I/O thread. */
    private LocalIdentity presented;
    private LocalIdentity reauthTarget;
    private CompletableFuture<Void> reauthInFlight;

    private volatile Channel channel;
    private volatile boolean ready;
    private volatile boolean closedNotified;
    private volatile boolean rejected;
    private volatile String closeReason;
    private volatile Throwable closeCause;
    private volatile long lastReadMillis = System.currentTimeMillis();
    private volatile Instant connectedSince;
    private volatile List<X509Certificate> chain = List.of();
    private volatile String tlsProtocol = "";
    private volatile String cipherSuite = "";
    private volatile String id = "";
    private volatile Optional<String> uriSan = Optional.empty();
    private volatile String remoteVersion = "";

    final Set<String> remoteSubscriptions = ConcurrentHashMap.newKeySet();

    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedQueue<Outbound>[] queues = new ConcurrentLinkedQueue[LANES.length];
    private final AtomicInteger[] sizes = new AtomicInteger[LANES.length];
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Map<String, CompletableFuture<SccMessage>> pendingRequests = new ConcurrentHashMap<>();
    private final Map<String, Unacked> unacked = Collections.synchronizedMap(new LinkedHashMap<>());
    private ScheduledFuture<?> helloTimer;
    private ScheduledFuture<?> pingTimer;

    SccConnection(Endpoint endpoint, boolean clientRole, SccOptions options, PeerTrust trust, LocalIdentity presented) {
        this.endpoint = endpoint;
        this.trust = trust;
        this.presented = presented;
        RANDOM.nextBytes(localNonce);
        this.clientRole = clientRole;
        this.options = options;
        for (int i = 0; i < LANES.length; i++) {
            queues[i] = new ConcurrentLinkedQueue<>();
            sizes[i] = new AtomicInteger();
        }
    }

    // ---------------------------------------------------------------- SccPeer

    @Override
    public String id() {
        return id;
    }

    @Override
    public String subject() {
        return chain.isEmpty() ? "" : chain.get(0).getSubjectX500Principal().getName();
    }

    @Override
    public Optional<String> uriSan() {
        return uriSan;
    }

    @Override
    public List<X509Certificate> certificateChain() {
        return chain;
    }

    @Override
    public Instant certificateExpiry() {
        return chain.isEmpty() ? Instant.EPOCH : chain.get(0).getNotAfter().toInstant();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        Channel ch = channel;
        return ch == null ? null : (InetSocketAddress) ch.remoteAddress();
    }

    @Override
    public Instant connectedSince() {
        return connectedSince;
    }

    @Override
    public Instant lastHeartbeat() {
        return Instant.ofEpochMilli(lastReadMillis);
    }

    @Override
    public String tlsProtocol() {
        return tlsProtocol;
    }

    @Override
    public String cipherSuite() {
        return cipherSuite;
    }

    @Override
    public String protocolVersion() {
        return remoteVersion;
    }

    @Override
    public boolean isConnected() {
        Channel ch = channel;
        return ready && ch != null && ch.isActive();
    }

    boolean isReady() {
        return ready;
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String toString() {
        return "SccPeer[" + (id.isEmpty() ? "?" : id) + " @ " + remoteAddress() + "]";
    }

    // ---------------------------------------------------------------- outbound

    /** Queues a frame on its lane; the future fails at once when the lane is full. */
    CompletableFuture<Void> send(byte[] frame, SccPriority priority) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        enqueue(new Outbound(frame, done), priority);
        return done;
    }

    boolean enqueue(Outbound o, SccPriority priority) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            o.done.completeExceptionally(new SccException(SccException.NOT_CONNECTED, "connection to " + this + " is closed"));
            return false;
        }
        int lane = priority.ordinal();
        int bound = options.queueBound(priority);
        if (sizes[lane].incrementAndGet() > bound) {
            sizes[lane].decrementAndGet();
            o.done.completeExceptionally(new SccException(SccException.QUEUE_FULL,
                    priority + " queue to " + this + " is full (" + bound + " messages)"));
            return false;
        }
        queues[lane].add(o);
        if (drainScheduled.compareAndSet(false, true)) {
            ch.eventLoop().execute(this::drain);
        }
        return true;
    }

    @Override
    public int queued(org.opendsi.scc.SccPriority lane) {
        return queued()[lane.ordinal()];
    }

    /** Queued frames per lane (ALARM, CONTROL, BULK). */
    int[] queued() {
        int[] r = new int[LANES.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = sizes[i].get();
        }
        return r;
    }

    private Outbound poll() {
        for (int i = 0; i < LANES.length; i++) {
            Outbound o = queues[i].poll();
            if (o != null) {
                sizes[i].decrementAndGet();
                return o;
            }
        }
        return null;
    }

    private void drain() {
        drainScheduled.set(false);
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            failQueued();
            return;
        }
        boolean wrote = false;
        while (ch.isWritable()) {
            Outbound o = poll();
            if (o == null) {
                break;
            }
            wrote = true;
            ch.write(Unpooled.wrappedBuffer(o.frame)).addListener(f -> {
                if (f.isSuccess()) {
                    o.done.complete(null);
                } else {
                    o.done.completeExceptionally(new SccException(SccException.CLOSED,
                            "write to " + this + " failed: " + f.cause(), f.cause()));
                }
            });
        }
        if (wrote) {
            ch.flush();
        }
    }

    private void failQueued() {
        Outbound o;
        while ((o = poll()) != null) {
            o.done.completeExceptionally(new SccException(SccException.CLOSED, "connection to " + this + " closed"));
        }
    }

    /** Writes directly (HELLO, fatal errors), bypassing the lanes. */
    private void writeNow(ObjectNode env) {
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.wrappedBuffer(Wire.encode(env, Integer.MAX_VALUE)));
        }
    }

    /** Sends an error frame (best effort) and closes this connection. */
    void fatal(String code, String text) {
        fatal(null, code, text);
    }

    /** Same, answering the frame {@code correlationId}. */
    private void fatal(String correlationId, String code, String text) {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            if (closeReason == null) {
                closeReason = code + ": " + text;
            }
            LOG.warn("SCC: closing {} ({}: {})", this, code, text);
            if (ch.isActive()) {
                ch.writeAndFlush(Unpooled.wrappedBuffer(Wire.encode(Wire.error(correlationId, code, text, true),
                                Integer.MAX_VALUE)))
                        .addListener(ChannelFutureListener.CLOSE);
                ch.eventLoop().schedule(() -> {
                    ch.close();
                }, 1, TimeUnit.SECONDS);
            }
        });
    }

    void close(String reason) {
        Channel ch = channel;
        if (ch != null) {
            if (closeReason == null) {
                closeReason = reason;
            }
            ch.close();
        }
    }

    // ---------------------------------------------------------------- requests and acks

    CompletableFuture<SccMessage> request(String topic, JsonNode payload, SccPriority priority, Duration timeout) {
        String reqId = Wire.newId();
        CompletableFuture<SccMessage> result = new CompletableFuture<>();
        byte[] frame;
        try {
            frame = Wire.encode(Wire.message(Wire.REQ, reqId, topic, priority, null, payload, false), options.maxFrameSize());
        } catch (SccException e) {
            result.completeExceptionally(e);
            return result;
        }
        sendExpectingReply(reqId, frame, priority, timeout == null ? options.requestTimeout() : timeout,
                "request '" + topic + "'", result);
        return result;
    }

    /** Queues a frame whose answer (REP or ERR with {@code cid} = {@code frameId}) completes {@code reply}. */
    private void sendExpectingReply(String frameId, byte[] frame, SccPriority priority, Duration timeout, String what,
                                    CompletableFuture<SccMessage> reply) {
        pendingRequests.put(frameId, reply);
        send(frame, priority).whenComplete((v, e) -> {
            if (e != null && pendingRequests.remove(frameId) != null) {
                reply.completeExceptionally(e);
            }
        });
        Channel ch = channel;
        if (ch != null) {
            ch.eventLoop().schedule(() -> {
                if (pendingRequests.remove(frameId) != null) {
                    reply.completeExceptionally(new TimeoutException("no reply to " + what + " from "
                            + this + " within " + timeout.toMillis() + " ms"));
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---------------------------------------------------------------- re-authentication (REAUTH, 1.1)

    /**
     * Presents {@code target} (renewed local credentials) to the peer on this open connection. Completes
     * when the peer accepted it, at once when the peer already authenticated it; fails when the peer
     * refused it (it then closes the connection), speaks 1.0, or the connection is not ready.
     */
    CompletableFuture<Void> reauthenticate(LocalIdentity target) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Channel ch = channel;
        if (ch == null) {
            done.completeExceptionally(new SccException(SccException.NOT_CONNECTED, "connection to " + this + " is closed"));
            return done;
        }
        ch.eventLoop().execute(() -> sendReauth(target).whenComplete((v, e) -> {
            if (e != null) {
                done.completeExceptionally(e);
            } else {
                done.complete(null);
            }
        }));
        return done;
    }

    /** On the I/O thread: one REAUTH in flight per target, none when the peer already has it. */
    private CompletableFuture<Void> sendReauth(LocalIdentity target) {
        if (presented == target) {
            return CompletableFuture.completedFuture(null);
        }
        if (reauthTarget == target && reauthInFlight != null) {
            return reauthInFlight;
        }
        Channel ch = channel;
        if (!ready || ch == null || !ch.isActive()) {
            return CompletableFuture.failedFuture(new SccException(SccException.NOT_CONNECTED,
                    "connection to " + this + " is not ready"));
        }
        byte[] theirs = peerNonce;
        if (theirs == null) {
            return CompletableFuture.failedFuture(new SccException(SccException.CONFIG, this + " speaks SCC protocol "
                    + remoteVersion + ", which cannot re-authenticate an open connection; it sees the new "
                    + "certificate at its next handshake"));
        }
        String frameId = Wire.newId();
        byte[] frame;
        try {
            List<X509Certificate> certs = target.credentials().chain();
            byte[] leaf = certs.get(0).getEncoded();
            byte[] proof = target.sign(Wire.reauthTranscript(clientRole, clientRole ? localNonce : theirs,
                    clientRole ? theirs : localNonce, leaf));
            ObjectNode n = Wire.envelope(Wire.REAUTH);
            n.put("id", frameId);
            ArrayNode chainNode = n.putArray("chain");
            for (X509Certificate c : certs) {
                chainNode.add(java.util.Base64.getEncoder().encodeToString(c.getEncoded()));
            }
            n.put("sig", java.util.Base64.getEncoder().encodeToString(proof));
            frame = Wire.encode(n, options.maxFrameSize());
        } catch (java.security.GeneralSecurityException | SccException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new SccException(SccException.CONFIG,
                    "cannot build the re-authentication for " + this + ": " + e.getMessage(), e));
        }
        CompletableFuture<SccMessage> reply = new CompletableFuture<>();
        CompletableFuture<Void> accepted = new CompletableFuture<>();
        reauthTarget = target;
        reauthInFlight = accepted;
        reply.whenComplete((m, e) -> ch.eventLoop().execute(() -> {
            if (reauthInFlight == accepted) {
                reauthInFlight = null;
                reauthTarget = null;
            }
            if (e != null) {
                accepted.completeExceptionally(e);
                return;
            }
            presented = target;
            LOG.info("SCC: {} accepted the renewed certificate (serial {}, expires {})", this,
                    target.credentials().leaf().getSerialNumber().toString(16),
                    target.credentials().leaf().getNotAfter().toInstant());
            accepted.complete(null);
        }));
        sendExpectingReply(frameId, frame, SccPriority.CONTROL, options.requestTimeout(), "re-authentication", reply);
        return accepted;
    }

    /** A peer presents a renewed certificate: the same identity, a valid chain, and the new key's proof. */
    private void onReauth(JsonNode env) {
        String frameId = Wire.text(env, "id");
        List<X509Certificate> certs = new ArrayList<>();
        try {
            byte[] theirs = peerNonce;
            if (theirs == null) {
                throw new java.security.cert.CertificateException("REAUTH on a connection whose HELLO carried no nonce");
            }
            JsonNode chainNode = env.path("chain");
            if (!chainNode.isArray() || chainNode.isEmpty() || chainNode.size() > Wire.MAX_REAUTH_CHAIN) {
                throw new java.security.cert.CertificateException("REAUTH needs a chain of 1 to "
                        + Wire.MAX_REAUTH_CHAIN + " certificates");
            }
            java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
            for (JsonNode c : chainNode) {
                certs.add((X509Certificate) cf.generateCertificate(
                        new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(c.asText()))));
            }
            trust.validate(certs.toArray(new X509Certificate[0]));
            String claimed = PeerTrust.identityOf(certs.get(0));
            if (!claimed.equals(id)) {
                throw new java.security.cert.CertificateException("the renewed certificate names " + claimed
                        + ", this connection was authenticated as " + id);
            }
            X509Certificate leaf = certs.get(0);
            // the algorithm follows the key, never the wire: a peer cannot pick a weaker one
            java.security.Signature v = java.security.Signature.getInstance(
                    org.opendsi.keys.KeyAlgorithm.of(leaf.getPublicKey()).signatureAlgorithm());
            v.initVerify(leaf.getPublicKey());
            v.update(Wire.reauthTranscript(!clientRole, clientRole ? localNonce : theirs,
                    clientRole ? theirs : localNonce, leaf.getEncoded()));
            if (!v.verify(java.util.Base64.getDecoder().decode(env.path("sig").asText()))) {
                throw new java.security.cert.CertificateException("the proof of possession of the new key does not verify");
            }
        } catch (Exception e) {
            String why = e.getMessage();
            closeReason = "re-authentication refused: " + why;
            closeCause = e;
            fatal(frameId, Wire.E_REAUTH_REFUSED, "renewed certificate refused: " + why);
            return;
        }
        chain = List.copyOf(certs);
        LOG.info("SCC: {} re-authenticated with a renewed certificate (serial {}, expires {})", this,
                certs.get(0).getSerialNumber().toString(16), certificateExpiry());
        send(Wire.encode(Wire.message(Wire.REP, Wire.newId(), null, SccPriority.CONTROL, frameId, null, false),
                Integer.MAX_VALUE), SccPriority.CONTROL);
        endpoint.onReauthenticated(this);
    }

    /** Publishes with ack=true; the future completes on the peer's ACK. */
    CompletableFuture<Void> publishAcked(String topic, JsonNode payload, SccPriority priority) {
        String msgId = Wire.newId();
        CompletableFuture<Void> acked = new CompletableFuture<>();
        byte[] frame;
        try {
            frame = Wire.encode(Wire.message(Wire.PUB, msgId, topic, priority, null, payload, true), options.maxFrameSize());
        } catch (SccException e) {
            acked.completeExceptionally(e);
            return acked;
        }
        SccMessage m = new SccMessage(msgId, topic, priority, null, payload, Instant.now());
        unacked.put(msgId, new Unacked(m, acked));
        send(frame, priority).whenComplete((v, e) -> {
            if (e != null && unacked.remove(msgId) != null) {
                acked.completeExceptionally(e);
            }
        });
        return acked;
    }

    /** Messages published with ack that were never acknowledged (after close), in publish order. */
    List<SccMessage> drainUnacked() {
        List<SccMessage> out = new ArrayList<>();
        synchronized (unacked) {
            for (Unacked u : unacked.values()) {
                out.add(u.message());
                u.done().completeExceptionally(new SccException(SccException.CLOSED,
                        "connection closed before the hub acknowledged message " + u.message().id()));
            }
            unacked.clear();
        }
        return out;
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        long ms = options.handshakeTimeout().toMillis();
        helloTimer = ctx.executor().schedule(() -> {
            if (!ready) {
                fatal(Wire.E_HELLO_TIMEOUT, "TLS handshake and HELLO not completed within " + ms + " ms");
            }
        }, ms, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            if (hs.isSuccess()) {
                onHandshake(ctx);
            } else {
                closeCause = hs.cause();
                if (hs.cause() instanceof java.nio.channels.ClosedChannelException) {
                    // a port probe, a load balancer's health check, or a peer that gave up: nothing to warn about
                    closeReason = "closed by the peer during the TLS handshake";
                    LOG.debug("SCC: {} closed the connection during the TLS handshake", ctx.channel().remoteAddress());
                } else {
                    closeReason = "TLS handshake failed: " + rootMessage(hs.cause());
                    LOG.warn("SCC: TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), rootMessage(hs.cause()));
                }
                ctx.close();
            }
        } else if (evt instanceof IdleStateEvent) {
            closeCause = new TimeoutException("heartbeat timeout");
            fatal(Wire.E_PROTOCOL, "heartbeat timeout: nothing received for "
                    + options.heartbeatTimeout().toMillis() + " ms");
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    private void onHandshake(ChannelHandlerContext ctx) throws Exception {
        SSLSession session = ctx.pipeline().get(SslHandler.class).engine().getSession();
        tlsProtocol = session.getProtocol();
        cipherSuite = session.getCipherSuite();
        List<X509Certificate> certs = new ArrayList<>();
        for (Certificate c : session.getPeerCertificates()) {
            certs.add((X509Certificate) c);
        }
        chain = List.copyOf(certs);
        // Validate again here: a resumed TLS 1.3 session (PSK) skips the trust manager, and the CRLs
        // may have changed since the session was created.
        try {
            trust.validate(certs.toArray(new X509Certificate[0]));
        } catch (java.security.cert.CertificateException e) {
            rejected = true;
            closeReason = "peer certificate rejected after handshake: " + e.getMessage();
            closeCause = e;
            LOG.warn("SCC: closing {}: {}", ctx.channel().remoteAddress(), closeReason);
            ctx.close();
            return;
        }
        uriSan = PeerTrust.firstUriSan(chain.get(0));
        id = PeerTrust.identityOf(chain.get(0));
        if (clientRole) {
            ObjectNode hello = endpoint.hello();
            hello.put("nonce", java.util.Base64.getEncoder().encodeToString(localNonce));
            writeNow(hello);
        }
    }

    /** The peer's HELLO nonce: absent (a 1.0 peer) or exactly {@link Wire#NONCE_BYTES} of base64. */
    private boolean readPeerNonce(JsonNode hello) {
        JsonNode n = hello.get("nonce");
        if (n == null || n.isNull()) {
            return true;
        }
        byte[] b;
        try {
            b = java.util.Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            b = new byte[0];
        }
        if (b.length != Wire.NONCE_BYTES) {
            fatal(Wire.E_PROTOCOL, "HELLO nonce must be " + Wire.NONCE_BYTES + " bytes of base64");
            return false;
        }
        peerNonce = b;
        return true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof byte[] body)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (rejected || chain.isEmpty()) {
            return; // peer certificate refused after the handshake: ignore whatever it still sends
        }
        lastReadMillis = System.currentTimeMillis();
        JsonNode env;
        try {
            env = Wire.decode(body);
        } catch (Exception e) {
            fatal(Wire.E_MALFORMED, "frame is not JSON: " + e.getMessage());
            return;
        }
        if (env == null || !env.isObject() || !env.path("t").isTextual()) {
            fatal(Wire.E_MALFORMED, "frame is not an SCC envelope (JSON object with \"t\")");
            return;
        }
        String type = env.get("t").asText();
        if (!ready) {
            onHello(type, env);
            return;
        }
        if (env.path("v").asInt(-1) != Wire.MAJOR) {
            fatal(Wire.E_PROTOCOL, "frame with protocol major " + env.path("v") + " on a " + Wire.VERSION + " connection");
            return;
        }
        try {
            dispatch(type, env);
        } catch (RuntimeException e) {
            LOG.warn("SCC: error handling {} from {}", type, this, e);
        }
    }

    private void onHello(String type, JsonNode env) {
        if (clientRole) {
            if (Wire.ERR.equals(type)) {
                closeReason = "refused by server: " + env.path("code").asText() + ": " + env.path("msg").asText();
                closeCause = new SccException(SccException.REMOTE, closeReason);
                LOG.warn("SCC: {}", closeReason);
                channel.close();
                return;
            }
            if (!Wire.HELLO.equals(type) || !String.valueOf(Wire.MAJOR).equals(majorOf(env.path("proto").asText()))) {
                fatal(Wire.E_PROTOCOL, "expected HELLO " + Wire.VERSION + " from the server, got " + type);
                return;
            }
            remoteVersion = env.path("proto").asText();
            if (readPeerNonce(env)) {
                becomeReady();
            }
            return;
        }
        if (!Wire.HELLO.equals(type)) {
            fatal(Wire.E_PROTOCOL, "first frame must be HELLO, got " + type);
            return;
        }
        boolean supported = false;
        List<String> offered = new ArrayList<>();
        for (JsonNode v : env.path("versions")) {
            offered.add(v.asText());
            if (v.asInt(-1) == Wire.MAJOR) {
                supported = true;
            }
        }
        if (!supported) {
            fatal(Wire.E_UNSUPPORTED_VERSION, "server speaks SCC protocol " + Wire.MAJOR + ".x; client offered major "
                    + offered);
            return;
        }
        remoteVersion = env.path("proto").asText(Wire.VERSION);
        if (!readPeerNonce(env)) {
            return;
        }
        for (JsonNode s : env.path("subs")) {
            remoteSubscriptions.add(s.asText());
        }
        ObjectNode reply = Wire.envelope(Wire.HELLO);
        reply.put("proto", Wire.VERSION);
        reply.put("role", "server");
        reply.put("heartbeatMs", options.heartbeatInterval().toMillis());
        reply.put("maxFrame", options.maxFrameSize());
        reply.put("nonce", java.util.Base64.getEncoder().encodeToString(localNonce));
        writeNow(reply);
        becomeReady();
    }

    private static String majorOf(String version) {
        int dot = version.indexOf('.');
        return dot < 0 ? version : version.substring(0, dot);
    }

    private void becomeReady() {
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        connectedSince = Instant.now();
        ready = true;
        if (clientRole) {
            long hb = options.heartbeatInterval().toMillis();
            pingTimer = channel.eventLoop().scheduleAtFixedRate(() -> {
                ObjectNode ping = Wire.envelope(Wire.PING);
                ping.put("id", Wire.newId());
                send(Wire.encode(ping, Integer.MAX_VALUE), SccPriority.ALARM);
            }, hb, hb, TimeUnit.MILLISECONDS);
        }
        endpoint.onReady(this);
        // the endpoint's certificate was renewed during this connection's handshake
        LocalIdentity now = endpoint.localIdentity();
        if (now != presented) {
            sendReauth(now).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.warn("SCC: {} still sees the previous certificate: {}", this, e.getMessage());
                }
            });
        }
    }

    private void dispatch(String type, JsonNode env) {
        switch (type) {
            case Wire.PING -> {
                ObjectNode pong = Wire.envelope(Wire.PONG);
                pong.put("cid", env.path("id").asText());
                send(Wire.encode(pong, Integer.MAX_VALUE), SccPriority.ALARM);
            }
            case Wire.PONG -> {
                // lastReadMillis already updated
            }
            case Wire.SUB -> env.path("topics").forEach(t -> remoteSubscriptions.add(t.asText()));
            case Wire.UNSUB -> env.path("topics").forEach(t -> remoteSubscriptions.remove(t.asText()));
            case Wire.PUB -> {
                SccMessage m = Wire.toMessage(env);
                endpoint.onPublish(this, m);
                if (env.path("ack").asBoolean(false)) {
                    ObjectNode ack = Wire.envelope(Wire.ACK);
                    ack.put("cid", m.id());
                    send(Wire.encode(ack, Integer.MAX_VALUE), SccPriority.CONTROL);
                }
            }
            case Wire.ACK -> {
                Unacked u = unacked.remove(env.path("cid").asText());
                if (u != null) {
                    u.done().complete(null);
                }
            }
            case Wire.REQ -> onRequest(Wire.toMessage(env));
            case Wire.REP -> {
                CompletableFuture<SccMessage> f = pendingRequests.remove(env.path("cid").asText());
                if (f != null) {
                    f.complete(Wire.toMessage(env));
                }
            }
            case Wire.ERR -> onError(env);
            case Wire.REAUTH -> onReauth(env);
            default -> {
                LOG.warn("SCC: unknown message type '{}' from {}; answered with an error, connection kept", type, this);
                ObjectNode err = Wire.error(Wire.text(env, "id"), Wire.E_UNKNOWN_TYPE,
                        "unknown message type '" + type + "' (protocol " + Wire.VERSION + ")", false);
                err.put("type", type);
                send(Wire.encode(err, Integer.MAX_VALUE), SccPriority.CONTROL);
            }
        }
    }

    private void onRequest(SccMessage req) {
        SccRequestHandler h = endpoint.requestHandler(req.topic());
        if (h == null) {
            send(Wire.encode(Wire.error(req.id(), Wire.E_NO_HANDLER, "no handler for request topic '" + req.topic() + "'",
                    false), Integer.MAX_VALUE), req.priority());
            return;
        }
        CompletionStage<JsonNode> stage;
        try {
            stage = h.onRequest(this, req);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((reply, e) -> {
            byte[] frame;
            if (e != null) {
                Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                frame = Wire.encode(Wire.error(req.id(), Wire.E_HANDLER_FAILED, String.valueOf(c.getMessage()), false),
                        Integer.MAX_VALUE);
            } else {
                try {
                    frame = Wire.encode(Wire.message(Wire.REP, Wire.newId(), req.topic(), req.priority(), req.id(), reply,
                            false), options.maxFrameSize());
                } catch (SccException tooLarge) {
                    frame = Wire.encode(Wire.error(req.id(), Wire.E_HANDLER_FAILED, tooLarge.getMessage(), false),
                            Integer.MAX_VALUE);
                }
            }
            send(frame, req.priority());
        });
    }

    private void onError(JsonNode env) {
        String cid = Wire.text(env, "cid");
        String text = env.path("code").asText() + ": " + env.path("msg").asText();
        if (env.path("fatal").asBoolean(false) && closeReason == null) {
            closeReason = "closed by peer: " + text;
            closeCause = new SccException(SccException.REMOTE, closeReason);
        }
        if (cid != null) {
            CompletableFuture<SccMessage> f = pendingRequests.remove(cid);
            if (f != null) {
                f.completeExceptionally(new SccException(SccException.REMOTE, text));
                return;
            }
            Unacked u = unacked.remove(cid);
            if (u != null) {
                u.done().completeExceptionally(new SccException(SccException.REMOTE, text));
                return;
            }
        }
        LOG.warn("SCC: error frame from {}: {}", this, text);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && drainScheduled.compareAndSet(false, true)) {
            ctx.executor().execute(this::drain);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ready = false;
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
        failQueued();
        for (String k : new ArrayList<>(pendingRequests.keySet())) {
            CompletableFuture<SccMessage> f = pendingRequests.remove(k);
            if (f != null) {
                f.completeExceptionally(new SccException(SccException.CLOSED, "connection to " + this + " closed"));
            }
        }
        notifyClosed();
        super.channelInactive(ctx);
    }

    private void notifyClosed() {
        if (!closedNotified) {
            closedNotified = true;
            endpoint.onClosed(this, closeReason == null ? "closed by peer" : closeReason, closeCause);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        String reason;
        if (c instanceof NotSslRecordException) {
            reason = "not TLS (plaintext or garbage on the TLS port)";
        } else if (c instanceof TooLongFrameException) {
            reason = "bad frame: " + c.getMessage();
        } else if (c instanceof FrameDecoder.FrameTimeoutException) {
            reason = "frame read timeout: " + c.getMessage();
        } else if (c instanceof SSLException) {
            reason = "TLS error: " + rootMessage(c);
        } else if (c instanceof java.io.IOException) {
            reason = "I/O error: " + c.getMessage();
        } else {
            reason = "error: " + c;
        }
        if (closeReason == null) {
            closeReason = reason;
            closeCause = c;
        }
        if (c instanceof java.io.IOException && !(c instanceof SSLException)) {
            LOG.debug("SCC: closing connection {} ({})", ctx.channel().remoteAddress(), reason);
        } else {
            LOG.warn("SCC: closing connection {} ({})", ctx.channel().remoteAddress(), reason);
        }
        ctx.close();
    }

    static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r == t ? String.valueOf(t.getMessage()) : t.getMessage() + " <- " + r.getMessage();
    }

    static ArrayNode array(Iterable<String> items) {
        ArrayNode a = Wire.MAPPER.createArrayNode();
        items.forEach(a::add);
        return a;
    }
}
