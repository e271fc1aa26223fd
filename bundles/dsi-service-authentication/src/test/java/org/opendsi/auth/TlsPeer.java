package org.opendsi.auth;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.opendsi.auth.client.AuthClient;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.DsiTls;
import org.opendsi.keys.PkixValidator;
import org.opendsi.keys.SpiffeId;
import org.opendsi.keys.SpiffeIds;

/**
 * A child process of the integration test. After a line on stdin (the test has moved it into its
 * context by then) it asks the authentication socket for a certificate, then:
 * <ul>
 * <li>{@code ask <socket>}: prints {@code ISSUED <uri>} or {@code REFUSED <reason>} (exit 3);</li>
 * <li>{@code server <socket> <cluster>}: TLS 1.3 server on loopback with client authentication, through
 * the project's {@link DsiTls} helpers; prints {@code PORT <n>}, then {@code PEER <scid> <snid> <protocol>};</li>
 * <li>{@code client <socket> <cluster> <port>}: TLS 1.3 client with the client's JDK-only
 * {@link AuthClient.Identity#sslContext()}; prints {@code PEER <scid> <snid> <protocol>}.</li>
 * </ul>
 */
public final class TlsPeer {

    public static void main(String[] args) throws Exception {
        String role = args[0];
        Path socket = Path.of(args[1]);
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        stdin.readLine();
        AuthClient.Identity id;
        try {
            id = AuthClient.request(socket);
        } catch (AuthClient.RefusedException e) {
            System.out.println("REFUSED " + e.getMessage());
            System.out.flush();
            System.exit(3);
            return;
        }
        System.out.println("ISSUED " + id.id().uri());
        System.out.flush();
        if (role.equals("ask")) {
            return;
        }
        String cluster = args[2];
        if (role.equals("server")) {
            Credentials creds = new Credentials(SpiffeIds.parse(id.leaf()), id.keyPair().getPrivate(), id.chain(),
                    List.of(id.root()), List.of());
            SSLContext ctx = DsiTls.sslContext(DsiTls.keyManager(() -> creds),
                    DsiTls.trustManager(cluster, () -> List.of(id.root()), List::of, PkixValidator.Revocation.NONE,
                            peer -> peer.kind() == SpiffeId.Kind.PROCESS));
            try (SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 1,
                    InetAddress.getLoopbackAddress())) {
                ss.setNeedClientAuth(true);
                ss.setEnabledProtocols(new String[] {"TLSv1.3"});
                System.out.println("PORT " + ss.getLocalPort());
                System.out.flush();
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    s.startHandshake();
                    SpiffeId peer = DsiTls.peerId(s.getSession());
                    System.out.println("PEER " + Integer.toUnsignedString(peer.scid()) + " " + Integer.toUnsignedString(peer.snid())
                            + " " + s.getSession().getProtocol());
                    talk(s, id);
                }
            }
        } else {
            int port = Integer.parseInt(args[3]);
            SSLContext ctx = id.sslContext();
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
                s.setEnabledProtocols(new String[] {"TLSv1.3"});
                s.startHandshake();
                AuthClient.PeerId peer = AuthClient.PeerId.of(s.getSession());
                if (!peer.cluster().equals(cluster)) {
                    throw new IllegalStateException("peer of another cluster: " + peer.uri());
                }
                System.out.println("PEER " + peer.scid() + " " + peer.snid() + " " + s.getSession().getProtocol());
                talk(s, id);
            }
        }
        System.out.flush();
    }

    private static void talk(SSLSocket s, AuthClient.Identity id) throws Exception {
        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        out.println("hello from " + id.id().uri());
        System.out.println("GOT " + in.readLine());
    }
}
