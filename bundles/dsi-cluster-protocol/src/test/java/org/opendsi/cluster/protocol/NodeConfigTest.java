package org.opendsi.cluster.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.opendsi.cluster.protocol.NodeConfig.SsEndpoint;

/** {@code ss.hosts}: the Security Servers a manager follows, as an operator writes them in etc/org.opendsi.node.cfg. */
class NodeConfigTest {

    @Test
    void aListOfSecurityServersInPreferenceOrder() {
        NodeConfig c = NodeConfig.from(Map.of("ss.hosts", " ss1.example:8843, 10.0.0.2:9843 ,[::1]:8843,[fe80::1%eth0]:7"));
        assertEquals(List.of(new SsEndpoint("ss1.example", 8843), new SsEndpoint("10.0.0.2", 9843),
                new SsEndpoint("::1", 8843), new SsEndpoint("fe80::1%eth0", 7)), c.ssHosts());
        assertEquals("ss1.example", c.ssHost(), "ss.host is the first of the list");
        assertEquals(8843, c.ssPort());
        assertEquals("[::1]:8843", c.ssHosts().get(2).toString(), "an IPv6 address is shown in brackets");
        assertEquals("10.0.0.2:9843", c.ssHosts().get(1).toString());
    }

    @Test
    void withoutTheListItIsSsHostAndSsPort() {
        NodeConfig c = NodeConfig.from(Map.of("ss.host", "10.1.1.1", "ss.port", "9000"));
        assertEquals(List.of(new SsEndpoint("10.1.1.1", 9000)), c.ssHosts());
        assertEquals(List.of(new SsEndpoint("127.0.0.1", 8843)), NodeConfig.from(Map.of()).ssHosts(), "the defaults");
        assertEquals(List.of(new SsEndpoint("127.0.0.1", 8843)), NodeConfig.from(Map.of("ss.hosts", "  ")).ssHosts(),
                "a blank list is no list");
        assertEquals(List.of(new SsEndpoint("10.1.1.1", 9000)), NodeConfig.from(Map.of("ss.hosts", "10.1.1.1:9000",
                "ss.host", "10.9.9.9", "ss.port", "1")).ssHosts(), "the list wins over ss.host/ss.port");
    }

    @Test
    void theOldConstructorGivesAListOfOne() {
        NodeConfig c = new NodeConfig(NodeRole.MANAGER, "dsi", 2, "n", "127.0.0.1", "10.2.2.2", 8843, "0.0.0.0", 0, 0,
                Path.of("data"), 10, 5);
        assertEquals(List.of(new SsEndpoint("10.2.2.2", 8843)), c.ssHosts());
    }

    @Test
    void aBadEntryIsNamedWithThePidAndTheKey() {
        assertBad("ss1:8843,ss2", "'ss2' has no port");
        assertBad("ss1:8843,ss2:", "'ss2:' has no port number");
        assertBad("ss1:http", "'ss1:http' has no port number");
        assertBad("ss1:0", "'ss1:0' has port 0 outside [1, 65535]");
        assertBad("ss1:65536", "'ss1:65536' has port 65536 outside [1, 65535]");
        assertBad("::1:8843", "'::1:8843' is not host:port (an IPv6 address goes in brackets: [::1]:8843)");
        assertBad("[::1]8843", "'[::1]8843' is not [IPv6-address]:port");
        assertBad("[::1", "'[::1' is not [IPv6-address]:port");
        assertBad("[ss1]:8843", "'[ss1]:8843' does not hold an IPv6 address");
        assertBad("ss1:8843,,ss2:8843", "'' is empty");
        assertBad("ss1:8843,", "'' is empty");
        assertBad("ss 1:8843", "'ss 1:8843' does not start with a host name");
        assertBad(":8843", "':8843' does not start with a host name");
        assertBad("ss1:8843, ss1:8843", "'ss1:8843' is listed twice");
    }

    private static void assertBad(String list, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.from(Map.of("ss.hosts", list)));
        String expected = "org.opendsi.node: ss.hosts = '" + list.trim() + "': entry " + why;
        assertTrue(e.getMessage().startsWith(expected), () -> "expected '" + expected + "...', got '" + e.getMessage() + "'");
    }
}
