package org.opendsi.ss.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.api.SecurityIds;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.DsiTls;
import org.opendsi.keys.JoinRequest;
import org.opendsi.keys.JoinTokenException;
import org.opendsi.keys.NodeCertificates;
import org.opendsi.cluster.protocol.JoinClient;
import org.opendsi.cluster.protocol.JoinException;
import org.opendsi.cluster.protocol.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The join endpoint: a TLS 1.3 server (server authentication only: a joining node has no
 * certificate yet) presenting {@code [server certificate, root]} so the node can check the root
 * against the fingerprint in its token. One JSON request line, one JSON response line. Also hands
 * out the current root CRL ({@code {"op":"crl"}}): a node whose CRL went stale refuses the SCC, and
 * gets a current one here (it is signed by the root, so the channel need not be trusted for it).
 */
final class JoinServer implements AutoCloseable {

    /** Handles one verified request; throws JoinException with a reason code to refuse. */
    interface Handler {
        NodeCertificates join(String token, JoinRequest request, int snid, String address) throws JoinException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(JoinServer.class);

    private final SSLServerSocket socket;
    private final Handler handler;
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "dsi-join");
        t.setDaemon(true);
        return t;
    });
    private final Thread acceptor;
    private volatile boolean closed;

    private final java.util.function.IntSupplier sccPort;
    private final Supplier<java.security.cert.X509CRL> crl;

    JoinServer(InetSocketAddress bind, Supplier<Credentials> credentials, Handler handler,
            java.util.function.IntSupplier sccPort, Supplier<java.security.cert.X509CRL> crl) throws IOException {
        this.handler = handler;
        this.sccPort = sccPort;
        this.crl = crl;
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLSv1.3");
            Supplier<Credentials> withRoot = () -> {
                Credentials c = credentials.get();
                List<X509Certificate> chain = new java.util.ArrayList<>(c.chain());
                for (X509Certificate a : c.trustAnchors()) {
                    if (!chain.contains(a)) {
                        chain.add(a);
                    }
                }
                return new Credentials(c.id(), c.privateKey(), chain, c.trustAnchors(), c.crls());
            };
            ctx.init(new KeyManager[] {DsiTls.keyManager(withRoot)}, null, null);
        } catch (Exception e) {
            throw new IOException("cannot create the join endpoint's TLS context: " + e.getMessage(), e);
        }
        ServerSocket s = ctx.getServerSocketFactory().createServerSocket();
        s.setReuseAddress(true);
        s.bind(bind, 16);
        socket = (SSLServerSocket) s;
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setNeedClientAuth(false);
        acceptor = new Thread(this::acceptLoop, "dsi-join-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("Join endpoint listening on {}", localAddress());
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = socket.accept();
                workers.execute(() -> serve((SSLSocket) s));
            } catch (SocketException e) {
                if (!closed) {
                    LOG.warn("join endpoint accept failed: {}", e.toString());
                }
            } catch (IOException e) {
                LOG.warn("join endpoint accept failed: {}", e.toString());
            }
        }
    }

    private void serve(SSLSocket s) {
        String peer = String.valueOf(s.getRemoteSocketAddress());
        try (s) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line = JoinClient.readLine(in);
            ObjectNode resp;
            if (line == null) {
                return;
            }
            resp = answer(line, peer);
            OutputStream out = s.getOutputStream();
            out.write(Json.bytes(resp));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            LOG.info("join connection from {} failed: {}", peer, e.toString());
        }
    }

    ObjectNode answer(String line, String peer) {
        ObjectNode resp = Json.object();
        try {
            JsonNode req = Json.MAPPER.readTree(line);
            if ("crl".equals(Json.textOr(req, "op", ""))) {
                resp.put("crl", Json.b64(Json.der(crl.get())));
                return resp;
            }
            long snid = req.path("snid").asLong(-1);
            if (snid < 1 || snid > SecurityIds.MAX_SNID) {
                throw new JoinException("INVALID", "join refused: SnID " + snid + " is outside 1.." + SecurityIds.MAX_SNID
                        + " (the kernel DSM's label carries 16-bit SnIDs)");
            }
            JoinRequest jr = new JoinRequest(Json.text(req, "name"), Json.unb64(req, "nodeCaCsr"),
                    Json.unb64(req, "channelCsr"));
            NodeCertificates certs = handler.join(Json.text(req, "token"), jr, (int) snid,
                    Json.textOr(req, "address", ""));
            resp.put("nodeCa", Json.b64(Json.der(certs.nodeCa())));
            resp.put("channel", Json.b64(Json.der(certs.channel())));
            resp.put("root", Json.b64(Json.der(certs.root())));
            resp.put("crl", Json.b64(Json.der(certs.crl())));
            resp.put("sccPort", sccPort.getAsInt());
            LOG.info("Node {} ({}) joined from {}", snid, jr.nodeName(), peer);
        } catch (JoinException e) {
            LOG.warn("Join from {} refused: {}", peer, e.getMessage());
            resp.put("reason", e.reason());
            resp.put("error", e.getMessage());
        } catch (JoinTokenException e) {
            LOG.warn("Join from {} refused: {}", peer, e.getMessage());
            resp.put("reason", e.reason().name());
            resp.put("error", e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warn("Join from {} refused: {}", peer, e.toString());
            resp.put("reason", "INVALID");
            resp.put("error", "join refused: " + e.getMessage());
        }
        return resp;
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
        workers.shutdownNow();
    }
}
