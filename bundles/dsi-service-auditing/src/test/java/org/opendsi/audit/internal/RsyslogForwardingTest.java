package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

/**
 * Forwarding to a REAL rsyslogd (Debian packages rsyslog and rsyslog-gnutls, installed by
 * scripts/install-test-deps.sh): this test starts its own instance with a generated config that
 * listens on free 127.0.0.1 ports only (imtcp plain, and imtcp with the gtls driver), writes what
 * it parsed with a template that keeps the RFC 5424 fields, and kills it afterwards. The system's
 * /etc/rsyslog.conf is never read (-f) and the system's pid file never touched (-i).
 */
class RsyslogForwardingTest {

    private static Path tmp;
    private static Process rsyslogd;
    private static int plainPort;
    private static int tlsPort;
    private static boolean tlsAvailable;
    private static String tlsSkipReason;

    static String rsyslogd() {
        for (String p : new String[] {"/usr/sbin/rsyslogd", "/sbin/rsyslogd"}) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    @BeforeAll
    static void startRsyslog() throws Exception {
        String bin = rsyslogd();
        if (bin == null) {
            String reason = "rsyslogd is not installed (run scripts/install-test-deps.sh as root, or ./dsi setup)";
            System.out.println("SKIPPED RsyslogForwardingTest: " + reason);
            Assumptions.assumeTrue(false, reason);
        }
        tmp = Files.createTempDirectory("dsi-rsyslog-test");
        Files.createDirectories(tmp.resolve("work"));
        tlsAvailable = Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so"))
                || Files.exists(Path.of("/usr/lib/rsyslog/lmnsd_gtls.so"));
        tlsSkipReason = tlsAvailable ? null : "rsyslog-gnutls (lmnsd_gtls.so) is not installed";
        if (tlsAvailable) {
            try {
                makeCertificates();
            } catch (IOException e) {
                tlsAvailable = false;
                tlsSkipReason = "cannot make test certificates with openssl: " + e.getMessage();
            }
        }
        plainPort = freePort();
        tlsPort = freePort();
        StringBuilder conf = new StringBuilder();
        conf.append("global(workDirectory=\"").append(tmp.resolve("work")).append("\" maxMessageSize=\"64k\"");
        if (tlsAvailable) {
            conf.append(" defaultNetstreamDriverCAFile=\"").append(tmp.resolve("ca.pem")).append('"')
                    .append(" defaultNetstreamDriverCertFile=\"").append(tmp.resolve("server.pem")).append('"')
                    .append(" defaultNetstreamDriverKeyFile=\"").append(tmp.resolve("server.key")).append('"');
        }
        conf.append(")\n");
        conf.append("module(load=\"imtcp\")\n");
        conf.append("template(name=\"raw5424\" type=\"string\" string=\"%pri%|%protocol-version%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n\")\n");
        conf.append("ruleset(name=\"plain\") { action(type=\"omfile\" file=\"").append(tmp.resolve("plain.log"))
                .append("\" template=\"raw5424\") }\n");
        conf.append("ruleset(name=\"tls\") { action(type=\"omfile\" file=\"").append(tmp.resolve("tls.log"))
                .append("\" template=\"raw5424\") }\n");
        conf.append("input(type=\"imtcp\" address=\"127.0.0.1\" port=\"").append(plainPort).append("\" ruleset=\"plain\")\n");
        if (tlsAvailable) {
            conf.append("input(type=\"imtcp\" address=\"127.0.0.1\" port=\"").append(tlsPort)
                    .append("\" ruleset=\"tls\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")\n");
        }
        Path confFile = tmp.resolve("rsyslog.conf");
        Files.writeString(confFile, conf.toString());
        rsyslogd = new ProcessBuilder(bin, "-n", "-f", confFile.toString(), "-i", tmp.resolve("rsyslogd.pid").toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("rsyslogd.out").toFile()).start();
        waitForPort(plainPort);
        if (tlsAvailable) {
            waitForPort(tlsPort);
        }
    }

    @AfterAll
    static void stopRsyslog() throws Exception {
        if (rsyslogd != null) {
            rsyslogd.destroy();
            if (!rsyslogd.waitFor(10, TimeUnit.SECONDS)) {
                rsyslogd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertTrue(!rsyslogd.isAlive(), "rsyslogd still running");
        }
        if (tmp != null) {
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void makeCertificates() throws IOException, InterruptedException {
        Files.writeString(tmp.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=DSI test syslog CA");
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost");
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port) throws Exception {
        long end = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < end) {
            if (!rsyslogd.isAlive()) {
                throw new IllegalStateException("rsyslogd exited: " + Files.readString(tmp.resolve("rsyslogd.out")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("rsyslogd does not listen on 127.0.0.1:" + port + ": "
                + Files.readString(tmp.resolve("rsyslogd.out")));
    }

    private static List<String[]> awaitLines(Path file, int n) throws Exception {
        long end = System.currentTimeMillis() + 20_000;
        List<String> lines = List.of();
        while (System.currentTimeMillis() < end) {
            if (Files.exists(file)) {
                lines = Files.readAllLines(file);
                if (lines.size() >= n) {
                    break;
                }
            }
            Thread.sleep(100);
        }
        assertEquals(n, lines.size(), "lines received by rsyslogd: " + lines + "\nrsyslogd said: "
                + Files.readString(tmp.resolve("rsyslogd.out")));
        List<String[]> out = new ArrayList<>();
        for (String l : lines) {
            out.add(l.split("\\|", 9));
        }
        return out;
    }

    private static void sendAndCheck(SyslogForwarder.Target target, Path received) throws Exception {
        AuditRecord deny = Fixtures.record(Fixtures.deny(8080));
        AuditRecord exec = Fixtures.record(Fixtures.event(DsmEvent.Type.EXEC_DENIED, 10, 30, 2));
        SyslogForwarder f = new SyslogForwarder(target, "colby");
        try {
            f.offer(deny);
            f.offer(exec);
            List<String[]> lines = awaitLines(received, 2);
            String[] d = lines.get(0);
            assertEquals(String.valueOf(13 * 8 + 4), d[0], String.join("|", d));
            assertEquals("1", d[1]);
            assertEquals("colby", d[2]);
            assertEquals("dsi", d[3]);
            assertEquals(Long.toString(ProcessHandle.current().pid()), d[4]);
            assertEquals("DENY", d[5]);
            assertTrue(d[6].startsWith("[dsi@32473 "), d[6]);
            assertTrue(d[6].contains("scid=\"10\" snid=\"1\" tscid=\"20\" tsnid=\"2\" perm=\"receive\" rule=\"3\" ruleLine=\"12\""), d[6]);
            assertTrue(d[6].contains("dst=\"10.0.0.2:8080\""), d[6]);
            assertTrue(d[7].trim().startsWith("Denied 'receive' from context 10 on node 1"), d[7]);
            String[] e = lines.get(1);
            assertEquals("EXEC_DENIED", e[5]);
            assertTrue(e[6].contains("suppressed=\"2\""), e[6]);
        } finally {
            f.close();
        }
        // sent() counts a record just after writing it, so rsyslogd may log it first: read it once
        // close() has joined the forwarding thread
        assertEquals(2, f.sent());
    }

    @Test
    void theServiceForwardsItsJournalRecordsWhenSyslogIsConfigured(@org.junit.jupiter.api.io.TempDir Path journal)
            throws Exception {
        AuditSettings s = AuditSettings.from(java.util.Map.of("dir", journal.toString(), "syslog.host", "127.0.0.1",
                "syslog.port", Integer.toString(plainPort), "syslog.tls", "false", "node.name", "munster"));
        AuditRuntime rt = new AuditRuntime(s, "munster", (id, v) -> EventMapper.RuleRef.UNKNOWN, new AlarmOutbox(10),
                java.time.Clock.systemUTC());
        try {
            rt.dsmEvent(Fixtures.event(DsmEvent.Type.FORGED_LABEL, 50, 60, 0));
            long end = System.currentTimeMillis() + 20_000;
            List<String> lines = List.of();
            while (System.currentTimeMillis() < end) {
                lines = Files.exists(tmp.resolve("plain.log")) ? Files.readAllLines(tmp.resolve("plain.log")) : List.of();
                if (lines.stream().anyMatch(l -> l.contains("|munster|dsi|") && l.contains("|FORGED_LABEL|"))) {
                    break;
                }
                Thread.sleep(100);
            }
            String forged = lines.stream().filter(l -> l.contains("|FORGED_LABEL|")).findFirst().orElse("none: " + lines);
            assertTrue(forged.startsWith(String.valueOf(13 * 8 + 2) + "|1|munster|dsi|"), forged);
            assertTrue(forged.contains("scid=\"50\" snid=\"1\" tscid=\"60\""), forged);
            AuditRecord journaled = rt.query(new org.opendsi.api.audit.AuditQuery(true, null, 50, null, 1)).get(0);
            assertTrue(forged.contains("hash=\"" + journaled.hash() + "\""), "the syslog copy names the journal record's hash");
        } finally {
            rt.close();
        }
    }

    @Test
    void recordsArriveOverPlainTcpParsedAsRfc5424() throws Exception {
        sendAndCheck(new SyslogForwarder.Target("127.0.0.1", plainPort, false, "", 100), tmp.resolve("plain.log"));
    }

    @Test
    void recordsArriveOverTlsParsedAsRfc5424() throws Exception {
        if (!tlsAvailable) {
            System.out.println("SKIPPED RsyslogForwardingTest TLS: " + tlsSkipReason);
            Assumptions.assumeTrue(false, tlsSkipReason);
        }
        sendAndCheck(new SyslogForwarder.Target("127.0.0.1", tlsPort, true, tmp.resolve("ca.pem").toString(), 100),
                tmp.resolve("tls.log"));
    }
}
