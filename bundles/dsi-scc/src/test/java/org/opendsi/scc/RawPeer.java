package org.opendsi.scc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** A hand-driven peer on a raw (TLS or plain) socket, to misbehave on purpose. */
final class RawPeer implements Closeable {
    static final ObjectMapper JSON = new ObjectMapper();
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    private RawPeer(Socket s) throws IOException {
        socket = s;
        in = new DataInputStream(s.getInputStream());
        out = new DataOutputStream(s.getOutputStream());
    }

    static SSLContext sslContext(TestPki.Issued id) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", id.key(), new char[0], id.chain().toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        TrustManager trustAll = new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {
            }

            public void checkServerTrusted(X509Certificate[] c, String a) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
        return ctx;
    }

    /** TLS connection (handshake done) with the given identity; protocols default to TLSv1.3. */
    static RawPeer tls(TestPki.Issued id, int port, String... protocols) throws Exception {
        SSLSocket s = (SSLSocket) sslContext(id).getSocketFactory().createSocket("127.0.0.1", port);
        s.setEnabledProtocols(protocols.length == 0 ? new String[] {"TLSv1.3"} : protocols);
        s.setSoTimeout(5000);
        s.startHandshake();
        return new RawPeer(s);
    }

    static RawPeer plain(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(5000);
        return new RawPeer(s);
    }

    static RawPeer wrap(Socket s) throws IOException {
        return new RawPeer(s);
    }

    void sendFrame(String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
        out.flush();
    }

    void sendRaw(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    void hello() throws IOException {
        sendFrame("{\"v\":1,\"t\":\"HELLO\",\"proto\":\"1.0\",\"versions\":[1],\"role\":\"client\",\"subs\":[\"*\"]}");
    }

    /** Next frame, or null at end of stream. */
    JsonNode readFrame(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            int len = in.readInt();
            byte[] b = new byte[len];
            in.readFully(b);
            return JSON.readTree(b);
        } catch (EOFException e) {
            return null;
        }
    }

    /** Next frame of the given type (skipping others), or null at end of stream. */
    JsonNode readFrame(String type, Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = Math.max(1, (end - System.nanoTime()) / 1_000_000);
            JsonNode n = readFrame(Duration.ofMillis(left));
            if (n == null || type.equals(n.path("t").asText())) {
                return n;
            }
        }
    }

    /** True when the other side closes the connection within {@code timeout} (reads and discards until EOF). */
    boolean closedWithin(Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[65536];
        while (System.nanoTime() < end) {
            socket.setSoTimeout((int) Math.max(1, (end - System.nanoTime()) / 1_000_000));
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset / TLS alert: closed
            }
        }
        return false;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // ignore
        }
    }
}
