package org.opendsi.access.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decision API with a real Unix domain socket client, and PEER against real TCP sockets of this JVM. */
class AccessSocketTest {

    static final class Client implements AutoCloseable {
        final SocketChannel ch;
        final BufferedReader in;
        final OutputStream out;

        Client(Path sock) throws Exception {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(sock));
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            out = Channels.newOutputStream(ch);
        }

        String ask(String line) throws Exception {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return in.readLine();
        }

        @Override
        public void close() throws Exception {
            ch.close();
        }
    }

    @Test
    void decideVersionAndPeerOverTheSocket(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("dsi/access.sock");
        FakeDsm fake = new FakeDsm();
        TestPolicy policy = new TestPolicy();
        AccessControlComponent acs = new AccessControlComponent(policy.service(), fake.dsm());
        acs.activate(Map.of("socket.path", sock.toString(), "labels.poll.seconds", "0"));
        try {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            policy.apply(acs, TableLoaderTest.ZONES.replace("decision=\"deny\"", "decision=\"allow\""), 4);
            try (Client c = new Client(sock)) {
                assertEquals("VERSION 4", c.ask("VERSION"));
                assertEquals("ALLOW 0 0", c.ask("DECIDE 10 1 20 connect"));
                // policy change: the same question now gets the other answer on the live connection
                policy.apply(acs, TableLoaderTest.ZONES, 5);
                assertEquals("DENY 0 0", c.ask("DECIDE 10 1 20 connect"));
                assertTrue(c.ask("DECIDE 10 1 20 fly").startsWith("ERR unknown permission"));
                assertTrue(c.ask("HELLO").startsWith("ERR unknown request"));

                // a local peer: this JVM is both ends; the fake DSM says this pid is in context 42
                int me = (int) ProcessHandle.current().pid();
                fake.pids.put(me, 42);
                try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                     Socket client = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
                     Socket accepted = ss.accept()) {
                    String tuple = "127.0.0.1:" + client.getLocalPort() + " 127.0.0.1:" + ss.getLocalPort();
                    assertEquals("PEER 42 1 " + me, c.ask("PEER " + tuple));
                    // where the kernel can tell, the peer socket's own context is reported, not its owner's
                    fake.sockets = new ConcurrentHashMap<>();
                    fake.sockets.put(new InetSocketAddress("127.0.0.1", ss.getLocalPort()) + " "
                            + new InetSocketAddress("127.0.0.1", client.getLocalPort()), 7);
                    assertEquals("PEER 7 1 " + me, c.ask("PEER " + tuple));
                    fake.sockets = null;
                    // the server side asks about its client
                    assertEquals("PEER 42 1 " + me, c.ask("PEER 127.0.0.1:" + ss.getLocalPort() + " 127.0.0.1:"
                            + accepted.getPort()));
                    assertTrue(acs.peerContext(new InetSocketAddress("127.0.0.1", client.getLocalPort()),
                            new InetSocketAddress("127.0.0.1", ss.getLocalPort())).kind()
                            == org.opendsi.api.access.PeerContext.Kind.LOCAL);
                }
                // a remote peer is unknown here (its label is checked by the kernel)
                String remote = acs.peerContext(new InetSocketAddress("127.0.0.1", 1),
                        new InetSocketAddress("192.0.2.1", 80)).kind().name();
                assertEquals("REMOTE", remote);
                assertTrue(c.ask("PEER 127.0.0.1:40000 127.0.0.1:1").startsWith("NOTFOUND"));
            }
        } finally {
            acs.deactivate();
        }
        assertTrue(!Files.exists(sock), "socket file removed on stop");
    }

    /** DECIDE reveals the policy: a caller that is neither root nor in the socket's group is refused. */
    @Test
    void decideIsForRootAndTheGroupOnly() {
        TestPolicy policy = new TestPolicy();
        AccessControlComponent acs = new AccessControlComponent(policy.service(), new FakeDsm().dsm());
        AccessProtocol p = new AccessProtocol(acs, null);
        assertEquals("ERR DECIDE is answered to root and to members of the socket's group only",
                p.answer("DECIDE 10 1 20 connect", new AccessSocketServer.Asker(1000, false)));
        assertEquals("ERR DECIDE is answered to root and to members of the socket's group only",
                p.answer("DECIDE 10 1 20 connect", new AccessSocketServer.Asker(null, false)));
        assertTrue(p.answer("PEER 127.0.0.1:1 127.0.0.1:2", new AccessSocketServer.Asker(null, false))
                .startsWith("NOTFOUND the asking process cannot be identified"));
    }

    /**
     * For real, as root: the socket belongs to group daemon; user daemon (in it) gets DECIDE answered,
     * user nobody (not in it) cannot even connect.
     */
    @Test
    void onlyTheSocketGroupConnects(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv"))
                && Files.isExecutable(Path.of("/usr/bin/python3")), "needs setpriv and python3");
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.uid("daemon") != null && Users.uid("nobody") != null,
                "needs users daemon and nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path sock = dir.resolve("dsi/access.sock");
        TestPolicy policy = new TestPolicy();
        AccessControlComponent acs = new AccessControlComponent(policy.service(), new FakeDsm().dsm());
        acs.activate(Map.of("socket.path", sock.toString(), "socket.group", "daemon", "labels.poll.seconds", "0"));
        try {
            Files.setPosixFilePermissions(sock.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            policy.apply(acs, TableLoaderTest.ZONES, 4);
            assertEquals("daemon", Files.readAttributes(sock, java.nio.file.attribute.PosixFileAttributes.class)
                    .group().getName());
            assertEquals("DENY 0 0", askAs("daemon", "daemon", sock, "DECIDE 10 1 20 connect"));
            assertTrue(askAs("nobody", "nogroup", sock, "DECIDE 10 1 20 connect").contains("Permission denied"));
        } finally {
            acs.deactivate();
        }
    }

    private static String askAs(String user, String group, Path sock, String line) throws Exception {
        String py = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1])\n"
                + "except OSError as e:\n print(e); sys.exit(0)\ns.sendall((sys.argv[2]+'\\n').encode())\n"
                + "print(s.makefile().readline().strip())\n";
        Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=" + user, "--regid=" + group, "--init-groups",
                "/usr/bin/python3", "-c", py, sock.toString(), line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
        return out;
    }

    @Test
    void parsesProcNetLines() throws Exception {
        ProcNet.Entry e = ProcNet.parse("   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0");
        assertEquals(InetAddress.getByName("127.0.0.1"), e.local());
        assertEquals(8080, e.localPort());
        assertEquals(54321, e.remotePort());
        assertEquals(1000, e.uid());
        assertEquals(12345, e.inode());
        ProcNet.Entry v6 = ProcNet.parse("   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0");
        assertTrue(ProcNet.same(v6.local(), InetAddress.getByName("127.0.0.1")));
        assertEquals(777, v6.inode());
    }
}
