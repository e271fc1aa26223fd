package org.opendsi.auth.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Client of the DSI authentication service, for applications and tests; only the JDK (17+) is
 * needed. It generates an EC P-256 key pair (the private key stays in this process), sends a
 * PKCS#10 request over the node's Unix socket and gets back its certificate chain and the cluster
 * root. Usage as a program:
 *
 * <pre>java -cp dsi-service-authentication.jar org.opendsi.auth.client.AuthClient [socket] [out-dir]</pre>
 *
 * writes {@code key.pem} (PKCS#8, mode 600), {@code chain.pem} (leaf, node CA) and {@code root.pem}.
 */
public final class AuthClient {

    /** The default socket of a Karaf node started from its home directory. */
    public static final String DEFAULT_SOCKET = "data/dsi/auth.sock";
    private static final int MAX_RESPONSE = 64 * 1024;

    /** A process identity: the key pair, {@code [leaf, node CA]} and the cluster root. */
    public record Identity(KeyPair keyPair, List<X509Certificate> chain, X509Certificate root) {
        public Identity {
            chain = List.copyOf(chain);
        }

        public X509Certificate leaf() {
            return chain.get(0);
        }

        /** The URI SAN {@code spiffe://<cluster>/node/<snid>/scid/<scid>}. */
        public PeerId id() {
            return PeerId.of(leaf()).orElseThrow(() -> new IllegalStateException("no DSI id in the certificate"));
        }

        /**
         * A TLS 1.3 context presenting this identity and trusting process certificates of this
         * cluster only, checked by key management's validation (PKIX to the root, no revocation, and
         * a process certificate must come from its own node's CA). Servers must still call
         * {@code setNeedClientAuth(true)}; the peer's {@link PeerId} tells who it is.
         */
        public SSLContext sslContext() throws GeneralSecurityException, IOException {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = new char[0];
            ks.setKeyEntry("dsi", keyPair.getPrivate(), pw, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            String cluster = id().cluster();
            javax.net.ssl.X509ExtendedTrustManager trust = org.opendsi.keys.DsiTls.trustManager(cluster,
                    () -> List.of(root), List::of, org.opendsi.keys.PkixValidator.Revocation.NONE,
                    peer -> peer.kind() == org.opendsi.keys.SpiffeId.Kind.PROCESS);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {trust}, null);
            return ctx;
        }
    }

    /** A DSI process id read from a certificate. */
    public record PeerId(String cluster, long snid, long scid) {
        private static final Pattern URI_SAN = Pattern.compile("spiffe://([a-z0-9._-]+)/node/(\\d+)/scid/(\\d+)");

        public static Optional<PeerId> of(X509Certificate cert) {
            try {
                Collection<List<?>> sans = cert.getSubjectAlternativeNames();
                if (sans != null) {
                    for (List<?> san : sans) {
                        if (Integer.valueOf(6).equals(san.get(0))) {
                            Matcher m = URI_SAN.matcher(String.valueOf(san.get(1)));
                            if (m.matches()) {
                                return Optional.of(new PeerId(m.group(1), Long.parseLong(m.group(2)),
                                        Long.parseLong(m.group(3))));
                            }
                        }
                    }
                }
            } catch (GeneralSecurityException | NumberFormatException e) {
                // no id
            }
            return Optional.empty();
        }

        /** The id of the peer of a finished handshake. */
        public static PeerId of(SSLSession session) throws SSLPeerUnverifiedException {
            Certificate[] peer = session.getPeerCertificates();
            return of((X509Certificate) peer[0])
                    .orElseThrow(() -> new SSLPeerUnverifiedException("the peer certificate carries no DSI id"));
        }

        public URI uri() {
            return URI.create("spiffe://" + cluster + "/node/" + snid + "/scid/" + scid);
        }
    }

    /** The service refused; the message is the service's reason. */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    private AuthClient() {
    }

    /** Generates a key pair and asks the service at {@code socket} to certify it. */
    public static Identity request(Path socket) throws IOException, GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        String response = exchange(socket, pem("CERTIFICATE REQUEST", csr(kp, "dsi process")));
        if (response.startsWith("ERROR")) {
            throw new RefusedException(response.substring(5).trim());
        }
        List<X509Certificate> certs = parseCertificates(response);
        if (certs.size() < 3) {
            throw new IOException("unexpected response: " + certs.size() + " certificates");
        }
        if (!certs.get(0).getPublicKey().equals(kp.getPublic())) {
            throw new IOException("the returned certificate is not for our key");
        }
        return new Identity(kp, certs.subList(0, certs.size() - 1), certs.get(certs.size() - 1));
    }

    /** Sends {@code request} and returns the whole response (the service answers once and closes). */
    public static String exchange(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                buf.flip();
                in.write(buf.array(), 0, buf.limit());
                buf.clear();
                if (in.size() > MAX_RESPONSE) {
                    throw new IOException("response larger than " + MAX_RESPONSE + " bytes");
                }
            }
            return in.toString(StandardCharsets.US_ASCII);
        }
    }

    /** Writes key.pem (600), chain.pem and root.pem into {@code dir}. */
    public static void write(Identity id, Path dir) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path key = dir.resolve("key.pem");
        Files.deleteIfExists(key);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, pem("PRIVATE KEY", id.keyPair().getPrivate().getEncoded()));
        StringBuilder chain = new StringBuilder();
        for (X509Certificate c : id.chain()) {
            chain.append(pem("CERTIFICATE", c.getEncoded()));
        }
        Files.writeString(dir.resolve("chain.pem"), chain);
        Files.writeString(dir.resolve("root.pem"), pem("CERTIFICATE", id.root().getEncoded()));
    }

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args.length > 0 ? args[0] : DEFAULT_SOCKET);
        Path out = Path.of(args.length > 1 ? args[1] : ".");
        try {
            Identity id = request(socket);
            write(id, out);
            System.out.println(id.id().uri() + " valid until " + id.leaf().getNotAfter().toInstant() + "; files in "
                    + out.toAbsolutePath());
        } catch (RefusedException e) {
            System.err.println("refused: " + e.getMessage());
            System.exit(2);
        }
    }

    // ------------------------------------------------------------------ PKCS#10 and PEM

    /** A DER PKCS#10 request for {@code kp} (EC, SHA256withECDSA) with subject CN={@code cn}. */
    static byte[] csr(KeyPair kp, String cn) throws GeneralSecurityException {
        byte[] name = seq(set(seq(oid(2, 5, 4, 3), tlv(0x0C, cn.getBytes(StandardCharsets.UTF_8)))));
        byte[] info = seq(new byte[] {2, 1, 0}, name, kp.getPublic().getEncoded(), new byte[] {(byte) 0xA0, 0});
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(info);
        byte[] sig = s.sign();
        byte[] bits = new byte[sig.length + 1];
        System.arraycopy(sig, 0, bits, 1, sig.length);
        return seq(info, seq(oid(1, 2, 840, 10045, 4, 3, 2)), tlv(0x03, bits));
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        int n = value.length;
        if (n < 0x80) {
            o.write(n);
        } else if (n < 0x100) {
            o.write(0x81);
            o.write(n);
        } else {
            o.write(0x82);
            o.write(n >> 8);
            o.write(n & 0xFF);
        }
        o.writeBytes(value);
        return o.toByteArray();
    }

    private static byte[] oid(long... arcs) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write((int) (arcs[0] * 40 + arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long v = arcs[i];
            int shift = 63 - Long.numberOfLeadingZeros(v | 1);
            for (int s = shift / 7 * 7; s > 0; s -= 7) {
                o.write((int) (0x80 | ((v >> s) & 0x7F)));
            }
            o.write((int) (v & 0x7F));
        }
        return tlv(0x06, o.toByteArray());
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static List<X509Certificate> parseCertificates(String pem) throws GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
            out.add((X509Certificate) c);
        }
        return out;
    }
}
