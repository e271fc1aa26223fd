package org.opendsi.cluster.protocol;

import java.net.InetAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import org.opendsi.api.SecurityIds;

/**
 * This node's place in the cluster, from configuration PID {@value #PID}
 * ({@code etc/org.opendsi.node.cfg}), read by both the Security Server and the Security Manager.
 */
public record NodeConfig(NodeRole role, String cluster, int snid, String name, String address, String ssHost,
                         int ssPort, String listenHost, int listenPort, int joinPort, Path dataDir,
                         int alarmQueueMax, int heartbeatSeconds) {

    public static final String PID = "org.opendsi.node";

    public static NodeConfig from(Map<String, ?> p) {
        String data = System.getProperty("karaf.data", "data");
        String dir = str(p, "data.dir", data + "/dsi").replace("${karaf.data}", data);
        return new NodeConfig(NodeRole.parse(str(p, "role", "embedded")), str(p, "cluster", "dsi"),
                num(p, "snid", 1, 1, SecurityIds.MAX_SNID), str(p, "name", hostname()), str(p, "address", "127.0.0.1"),
                str(p, "ss.host", "127.0.0.1"), num(p, "ss.port", 8843, 1, 65535), str(p, "listen.host", "0.0.0.0"),
                num(p, "listen.port", 8843, 0, 65535), num(p, "join.port", 8844, 0, 65535), Paths.get(dir),
                num(p, "alarm.queue.max", 10000, 1, 10_000_000), num(p, "heartbeat.seconds", 5, 1, 3600));
    }

    private static String hostname() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            int dot = h.indexOf('.');
            return (dot > 0 ? h.substring(0, dot) : h).replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (Exception e) {
            return "node";
        }
    }

    private static String str(Map<String, ?> p, String k, String def) {
        Object v = p == null ? null : p.get(k);
        return v == null || v.toString().isBlank() ? def : v.toString().trim();
    }

    private static int num(Map<String, ?> p, String k, long def, long min, long max) {
        String v = str(p, k, null);
        if (v == null) {
            return (int) def;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PID + ": " + k + " = '" + v + "' is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(PID + ": " + k + " = " + v + " is outside [" + min + ", " + max + "]");
        }
        return (int) n;
    }
}
