package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The issued credentials work for the SCC: TLS 1.3, client certificates, SPIFFE ids read on both sides. */
class MutualTlsTest {

    @TempDir
    Path tmp;

    private final ExecutorService exec = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        exec.shutdownNow();
    }

    private static final class Ends {
        SSLContext server;
        SSLContext client;
    }

    private Ends contexts(Fixture f, NodeKeys node) {
        // the real time: JSSE validates at the system clock
        Credentials ss = f.ca.serverCredentials(List.of("localhost"), List.of("127.0.0.1"));
        Ends e = new Ends();
        e.server = DsiTls.sslContext(DsiTls.keyManager(() -> ss),
                DsiTls.trustManager(Fixture.CLUSTER, () -> List.of(f.ca.rootCertificate()), () -> List.of(f.ca.crl()),
                        PkixValidator.Revocation.ROOT_REQUIRED, id -> id.kind() == SpiffeId.Kind.NODE, Clock.systemUTC()));
        e.client = DsiTls.sslContext(DsiTls.keyManager(node::channelCredentials),
                DsiTls.trustManager(Fixture.CLUSTER, node::trustAnchors, node.crlSupplier(),
                        PkixValidator.Revocation.ROOT_REQUIRED, id -> id.kind() == SpiffeId.Kind.SERVER, Clock.systemUTC()));
        return e;
    }

    /** Runs one handshake; returns [server's view of the client, client's view of the server]. */
    private SpiffeId[] handshake(Ends e) throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) e.server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            server.setEnabledProtocols(new String[] {"TLSv1.3"});
            Future<SpiffeId> serverSide = exec.submit(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    SpiffeId peer = DsiTls.peerId(s.getSession());
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    return peer;
                }
            });
            SpiffeId clientSees;
            try (SSLSocket c = (SSLSocket) e.client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    server.getLocalPort())) {
                c.setSoTimeout(10_000);
                c.setEnabledProtocols(new String[] {"TLSv1.3"});
                c.startHandshake();
                assertEquals("TLSv1.3", c.getSession().getProtocol());
                clientSees = DsiTls.peerId(c.getSession());
                // in TLS 1.3 the client learns that the server refused its certificate on the first read
                if (c.getInputStream().read() != 1) {
                    throw new IOException("server closed the connection");
                }
            } catch (Exception ex) {
                try {
                    serverSide.get(10, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // the server side fails too
                }
                throw ex;
            }
            // the client socket is closed here, so the server's close completes
            return new SpiffeId[] {serverSide.get(10, TimeUnit.SECONDS), clientSees};
        }
    }

    @Test
    void nodeAndSecurityServerCompleteAMutualTls13HandshakeAndReadEachOthersIds() throws Exception {
        Fixture f = new Fixture(tmp);
        f.clock.advance(java.time.Duration.ZERO);
        NodeKeys node = f.join(7, "colby");
        SpiffeId[] ids = handshake(contexts(f, node));
        assertEquals("spiffe://test.cluster/node/7", ids[0].uri(), "the SS sees the node");
        assertEquals(7, ids[0].snid());
        assertEquals("spiffe://test.cluster/ss", ids[1].uri(), "the node sees the SS");
    }

    @Test
    void revokedNodeCannotConnect() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys node = f.join(7, "colby");
        Ends e = contexts(f, node);
        handshake(e);
        f.ca.revokeNode(7, CRLReason.KEY_COMPROMISE); // the SS's trust manager reads the CRL per handshake
        assertThrows(Exception.class, () -> handshake(e));
    }

    @Test
    void processesOfTwoNodesTalkTlsWithTheirProcessCertificates() throws Exception {
        Fixture f = new Fixture(tmp);
        NodeKeys colby = f.join(1, "colby");
        NodeKeys munster = f.join(2, "munster");
        ProcessCredentials p10 = colby.issueProcessCredentials(10, null);
        ProcessCredentials p20 = munster.issueProcessCredentials(20, null);
        Ends e = new Ends();
        e.server = DsiTls.sslContext(
                DsiTls.keyManager(() -> new Credentials(p20.id(), p20.privateKey(), p20.chain(), munster.trustAnchors(), List.of())),
                DsiTls.trustManager(Fixture.CLUSTER, munster::trustAnchors, munster.crlSupplier(),
                        PkixValidator.Revocation.ROOT_REQUIRED, id -> id.kind() == SpiffeId.Kind.PROCESS));
        e.client = DsiTls.sslContext(
                DsiTls.keyManager(() -> new Credentials(p10.id(), p10.privateKey(), p10.chain(), colby.trustAnchors(), List.of())),
                DsiTls.trustManager(Fixture.CLUSTER, colby::trustAnchors, colby.crlSupplier(),
                        PkixValidator.Revocation.ROOT_REQUIRED, id -> id.kind() == SpiffeId.Kind.PROCESS));
        SpiffeId[] ids = handshake(e);
        assertEquals(SpiffeId.process(Fixture.CLUSTER, 1, 10), ids[0]);
        assertEquals(SpiffeId.process(Fixture.CLUSTER, 2, 20), ids[1]);
        assertTrue(ids[0].scid() == 10 && ids[1].snid() == 2);
    }
}
