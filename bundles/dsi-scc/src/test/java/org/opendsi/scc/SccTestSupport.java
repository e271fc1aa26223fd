package org.opendsi.scc;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

abstract class SccTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestPki pki;

    SccTransport transport;

    @BeforeAll
    static void pki() throws Exception {
        pki = new TestPki();
    }

    @BeforeEach
    void newTransport() {
        pki.crls.clear();
        transport = SccTransport.newTransport();
    }

    @AfterEach
    void closeTransport() {
        transport.close();
    }

    static SccOptions fastOptions() {
        return SccOptions.builder()
                .heartbeatInterval(Duration.ofMillis(200))
                .heartbeatTimeout(Duration.ofMillis(1500))
                .handshakeTimeout(Duration.ofMillis(1500))
                .frameReadTimeout(Duration.ofMillis(1000))
                .backoffMin(Duration.ofMillis(50))
                .backoffMax(Duration.ofMillis(400))
                .requestTimeout(Duration.ofSeconds(3))
                .serverIdentityPrefix(TestPki.SS_PREFIX)
                .build();
    }

    SccServer startServer(SccOptions options) throws Exception {
        return transport.createServer(pki.credentials(pki.ss()), options, new InetSocketAddress("127.0.0.1", 0)).start();
    }

    SccClient client(SccCredentials creds, SccServer server, SccOptions options) {
        return transport.createClient(creds, options, "127.0.0.1", server.localAddress().getPort());
    }

    SccClient connectedClient(int snid, SccServer server, SccOptions options) throws Exception {
        SccClient c = client(pki.credentials(pki.node(snid)), server, options);
        c.connect().get(5, java.util.concurrent.TimeUnit.SECONDS);
        return c;
    }

    static JsonNode payload(String k, Object v) {
        ObjectNode n = JSON.createObjectNode();
        n.putPOJO(k, v);
        return JSON.valueToTree(n);
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) {
                return;
            }
            Thread.sleep(10);
        }
        fail("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
    }
}
