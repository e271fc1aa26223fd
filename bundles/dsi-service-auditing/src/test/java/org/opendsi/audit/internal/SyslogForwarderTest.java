package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Octet-counted frames, reconnect after the server appears, and overflow accounting. */
class SyslogForwarderTest {

    /** Reads one "LEN SP MSG" frame. */
    static String readFrame(DataInputStream in) throws IOException {
        StringBuilder len = new StringBuilder();
        int c;
        while ((c = in.read()) != ' ') {
            if (c < 0) {
                throw new IOException("eof");
            }
            len.append((char) c);
        }
        byte[] msg = new byte[Integer.parseInt(len.toString())];
        in.readFully(msg);
        return new String(msg, StandardCharsets.UTF_8);
    }

    @Test
    void reconnectsWhenTheServerComesAndReportsWhatOverflowed() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        SyslogForwarder f = new SyslogForwarder(new SyslogForwarder.Target("127.0.0.1", port, false, "", 3), "colby");
        try {
            // nobody listens: records wait in the bounded queue, the rest are counted
            for (int i = 0; i < 5; i++) {
                f.offer(Fixtures.record(Fixtures.deny(8000 + i)));
            }
            assertEquals(2, f.dropped());
            Thread.sleep(300); // deliberate: gives it time to try; with nobody listening it must not be connected
            assertTrue(f.state().startsWith("disconnected") || f.state().equals("connecting"), f.state());
            try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                server.setSoTimeout(15_000);
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    String lost = readFrame(in);
                    assertTrue(lost.contains(" LOST "), lost);
                    assertTrue(lost.contains("suppressed=\"2\""), lost);
                    assertTrue(lost.contains("2 audit records were not forwarded"), lost);
                    for (int i = 0; i < 3; i++) {
                        String m = readFrame(in);
                        assertTrue(m.startsWith("<108>1 "), m);
                        assertTrue(m.contains("dst=\"10.0.0.2:" + (8000 + i) + "\""), m);
                    }
                }
            }
        } finally {
            f.close(0);
        }
    }
}
