package org.opendsi.cluster.protocol;

import java.net.InetAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.opendsi.api.SecurityIds;

/**
 * This node's place in the cluster, from configuration PID {@value #PID}
 * ({@code etc/org.opendsi.node.cfg}), read by both the Security Server and the Security Manager.
 *
 * @param ssHost  the preferred Security Server's SCC host (manager): the first of {@code ssHosts}
 * @param ssPort  its SCC port
 * @param ssHosts every Security Server's SCC endpoint, in preference order (manager): {@code ss.hosts},
 *                or just {@code ss.host:ss.port} when that key is absent. Several Security Servers share
 *                one store and only the active one listens; a manager follows whichever answers.
 */
public record NodeConfig(NodeRole role, String cluster, int snid, String name, String address, String ssHost,
                         int ssPort, String listenHost, int listenPort, int joinPort, Path dataDir,
                         int alarmQueueMax, int heartbeatSeconds, List<SsEndpoint> ssHosts) {

    public static final String PID = "org.opendsi.node";

    /** The key of the Security Server list. */
    public static final String SS_HOSTS = "ss.hosts";

    public NodeConfig {
        ssHosts = ssHosts == null || ssHosts.isEmpty() ? List.of(new SsEndpoint(ssHost, ssPort)) : List.copyOf(ssHosts);
    }

    /** A node with one Security Server, {@code ssHost:ssPort}. */
    public NodeConfig(NodeRole role, String cluster, int snid, String name, String address, String ssHost, int ssPort,
                      String listenHost, int listenPort, int joinPort, Path dataDir, int alarmQueueMax,
                      int heartbeatSeconds) {
        this(role, cluster, snid, name, address, ssHost, ssPort, listenHost, listenPort, joinPort, dataDir,
                alarmQueueMax, heartbeatSeconds, List.of());
    }

    public static NodeConfig from(Map<String, ?> p) {
        String data = System.getProperty("karaf.data", "data");
        String dir = str(p, "data.dir", data + "/dsi").replace("${karaf.data}", data);
        String ssHost = str(p, "ss.host", "127.0.0.1");
        int ssPort = num(p, "ss.port", 8843, 1, 65535);
        String list = str(p, SS_HOSTS, null);
        List<SsEndpoint> ssHosts = list == null ? List.of(new SsEndpoint(ssHost, ssPort)) : SsEndpoint.parseList(list);
        return new NodeConfig(NodeRole.parse(str(p, "role", "embedded")), str(p, "cluster", "dsi"),
                num(p, "snid", 1, 1, SecurityIds.MAX_SNID), str(p, "name", hostname()), str(p, "address", "127.0.0.1"),
                ssHosts.get(0).host(), ssHosts.get(0).port(), str(p, "listen.host", "0.0.0.0"),
                num(p, "listen.port", 8843, 0, 65535), num(p, "join.port", 8844, 0, 65535), Paths.get(dir),
                num(p, "alarm.queue.max", 10000, 1, 10_000_000), num(p, "heartbeat.seconds", 5, 1, 3600), ssHosts);
    }

    /**
     * One Security Server's SCC endpoint.
     *
     * @param host a host name or an IP address (an IPv6 address without brackets)
     * @param port its SCC port
     */
    public record SsEndpoint(String host, int port) {

        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
        private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?");

        /**
         * The endpoints of a comma-separated list of {@code host:port} ({@code [IPv6]:port}), as in
         * {@code ss.hosts}.
         *
         * @throws IllegalArgumentException naming the PID, the key and the entry that is not one, or
         *                                  an endpoint listed twice
         */
        public static List<SsEndpoint> parseList(String list) {
            List<SsEndpoint> out = new ArrayList<>();
            for (String entry : list.split(",", -1)) {
                SsEndpoint e = parse(entry.trim(), list);
                if (out.contains(e)) {
                    throw bad(list, entry.trim(), "is listed twice");
                }
                out.add(e);
            }
            return List.copyOf(out);
        }

        private static SsEndpoint parse(String entry, String list) {
            if (entry.isEmpty()) {
                throw bad(list, entry, "is empty (expected host:port, e.g. ss1.example:8843 or [::1]:8843)");
            }
            String host;
            String port;
            if (entry.startsWith("[")) {
                int close = entry.indexOf(']');
                if (close < 0 || close + 1 >= entry.length() || entry.charAt(close + 1) != ':') {
                    throw bad(list, entry, "is not [IPv6-address]:port");
                }
                host = entry.substring(1, close);
                port = entry.substring(close + 2);
                if (!IPV6.matcher(host).matches()) {
                    throw bad(list, entry, "does not hold an IPv6 address in its brackets");
                }
            } else {
                int colon = entry.lastIndexOf(':');
                if (colon < 0) {
                    throw bad(list, entry, "has no port (expected host:port)");
                }
                if (entry.indexOf(':') != colon) {
                    throw bad(list, entry, "is not host:port (an IPv6 address goes in brackets: [::1]:8843)");
                }
                host = entry.substring(0, colon);
                port = entry.substring(colon + 1);
                if (!NAME.matcher(host).matches()) {
                    throw bad(list, entry, "does not start with a host name or IPv4 address");
                }
            }
            int n;
            try {
                n = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw bad(list, entry, "has no port number after the host");
            }
            if (n < 1 || n > 65535) {
                throw bad(list, entry, "has port " + n + " outside [1, 65535]");
            }
            return new SsEndpoint(host, n);
        }

        private static IllegalArgumentException bad(String list, String entry, String why) {
            return new IllegalArgumentException(PID + ": " + SS_HOSTS + " = '" + list + "': entry '" + entry + "' " + why);
        }

        /** {@code host:port}, an IPv6 address in brackets. */
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
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
