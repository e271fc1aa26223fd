package org.opendsi.cluster.protocol;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.keys.JoinRequest;
import org.opendsi.keys.NodeCertificates;

/**
 * The joining node's side of the join exchange: TLS 1.3 to the Security Server's join endpoint,
 * verifying the server by the root fingerprint in the token (the server presents {@code [server
 * certificate, root]}), then one JSON request line and one JSON response line.
 */
public final class JoinClient {

    /** Longest line either side accepts. */
    public static final int MAX_LINE = 256 * 1024;

    private JoinClient() {
    }

    /** What the join returned: the certificates and the port of the Security Server's SCC listener. */
    public record Result(NodeCertificates certificates, int sccPort) {
    }

    public static Result join(String host, int port, String cluster, JoinToken token, int snid, String name,
            String address, JoinRequest request, int timeoutMillis) throws JoinException {
        ObjectNode req = Json.object();
        req.put("token", token.secret());
        req.put("cluster", cluster);
        req.put("snid", Integer.toUnsignedLong(snid));
        req.put("name", name);
        req.put("address", address);
        req.put("nodeCaCsr", Json.b64(request.nodeCaCsr()));
        req.put("channelCsr", Json.b64(request.channelCsr()));
        JsonNode resp;
        try {
            resp = exchange(host, port, pinnedTrust(cluster, token.rootFingerprint()), req, timeoutMillis);
        } catch (SSLHandshakeException e) {
            Throwable c = e;
            while (c.getCause() != null && !(c instanceof CertificateException)) {
                c = c.getCause();
            }
            throw new JoinException("UNTRUSTED_SERVER", "join refused by this node: the server at " + host + ":" + port
                    + " is not the Security Server the token names (" + c.getMessage() + ")", e);
        } catch (IOException e) {
            throw new JoinException("UNREACHABLE", "cannot reach the join endpoint " + host + ":" + port + ": " + e, e);
        }
        if (resp.has("error")) {
            throw new JoinException(Json.textOr(resp, "reason", "INVALID"), Json.text(resp, "error"));
        }
        try {
            X509Certificate root = Json.certificate(Json.unb64(resp, "root"));
            if (!fingerprint(root).equals(token.rootFingerprint())) {
                throw new JoinException("UNTRUSTED_SERVER", "the root certificate returned does not match the token's fingerprint");
            }
            return new Result(new NodeCertificates(snid, name, Json.certificate(Json.unb64(resp, "nodeCa")),
                    Json.certificate(Json.unb64(resp, "channel")), root, Json.crl(Json.unb64(resp, "crl"))),
                    resp.path("sccPort").asInt(0));
        } catch (IllegalArgumentException e) {
            throw new JoinException("PROTOCOL", "malformed join answer: " + e.getMessage(), e);
        }
    }

    /**
     * The current root CRL from the join endpoint, for a joined node whose CRL went stale (it then
     * refuses the SCC). The server must present a chain to {@code root} naming the Security Server;
     * revocation is not checked for this (the point is to get a current CRL). The caller installs the
     * CRL only if it verifies with the root and does not roll the CRL number back.
     */
    public static java.security.cert.X509CRL fetchCrl(String host, int port, String cluster, X509Certificate root,
            int timeoutMillis) throws JoinException {
        JsonNode resp;
        try {
            resp = exchange(host, port, pinnedTrust(cluster, fingerprint(root)), Json.object().put("op", "crl"),
                    timeoutMillis);
        } catch (SSLHandshakeException e) {
            throw new JoinException("UNTRUSTED_SERVER", "the server at " + host + ":" + port
                    + " is not the Security Server of the pinned root: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new JoinException("UNREACHABLE", "cannot get the CRL from " + host + ":" + port + ": " + e, e);
        }
        if (resp.has("error")) {
            throw new JoinException(Json.textOr(resp, "reason", "INVALID"), Json.text(resp, "error"));
        }
        try {
            return Json.crl(Json.unb64(resp, "crl"));
        } catch (IllegalArgumentException e) {
            throw new JoinException("PROTOCOL", "malformed CRL answer: " + e.getMessage(), e);
        }
    }

    /** One request line, one answer line over TLS 1.3 to the join endpoint, the server checked by {@code trust}. */
    private static JsonNode exchange(String host, int port, X509TrustManager trust, ObjectNode req, int timeoutMillis)
            throws IOException, JoinException {
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, new TrustManager[] {trust}, null);
        } catch (GeneralSecurityException e) {
            throw new JoinException("PROTOCOL", "cannot create a TLS 1.3 context: " + e.getMessage(), e);
        }
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(host, port), timeoutMillis);
            raw.setSoTimeout(timeoutMillis);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true)) {
                s.setEnabledProtocols(new String[] {"TLSv1.3"});
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                out.write(Json.bytes(req));
                out.write('\n');
                out.flush();
                String line = readLine(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)));
                if (line == null) {
                    throw new JoinException("PROTOCOL", "the Security Server closed the join connection without an answer");
                }
                return Json.MAPPER.readTree(line);
            }
        }
    }

    /** Reads one line of at most {@link #MAX_LINE} characters. */
    public static String readLine(BufferedReader in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return b.toString();
            }
            if (b.length() >= MAX_LINE) {
                throw new IOException("line longer than " + MAX_LINE + " characters");
            }
            b.append((char) c);
        }
        return b.length() == 0 ? null : b.toString();
    }

    public static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Trusts a server whose chain ends in a self-signed root with the expected fingerprint, whose leaf
     * that root signed, is valid now and names {@code spiffe://<cluster>/ss}.
     */
    static X509TrustManager pinnedTrust(String cluster, String expectedFingerprint) {
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client authentication is not used at join");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                if (chain == null || chain.length < 2) {
                    throw new CertificateException("the server did not present its root certificate");
                }
                X509Certificate root = chain[chain.length - 1];
                String fp = fingerprint(root);
                if (!fp.equals(expectedFingerprint)) {
                    throw new CertificateException("root fingerprint " + fp + " differs from the token's "
                            + expectedFingerprint);
                }
                try {
                    root.verify(root.getPublicKey());
                    // the one validation of key management: the SS's own certificate, issued by the pinned
                    // root itself (no CRL yet: the node gets its first one in the answer)
                    org.opendsi.keys.PkixValidator.validateIdentity(java.util.Arrays.asList(chain), java.util.List.of(root),
                            java.util.List.of(), java.time.Instant.now(), org.opendsi.keys.PkixValidator.Revocation.NONE,
                            cluster, java.util.Set.of(org.opendsi.keys.CertificateRole.SERVER));
                } catch (GeneralSecurityException e) {
                    throw new CertificateException("the server is not the Security Server of '" + cluster
                            + "' under the pinned root: " + e.getMessage(), e);
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
    }
}
