package org.opendsi.audit.internal;

import java.nio.file.Path;
import java.util.Map;

/** The configuration PID {@code org.opendsi.audit}, with its defaults. */
record AuditSettings(Path dir, long maxFileBytes, int maxFiles, int bufferSize, int denialCount, long windowSeconds,
                     int alarmBacklog, String syslogHost, int syslogPort, boolean syslogTls, String syslogCa,
                     int syslogQueue, String node, long summarySeconds, long floodWindowSeconds, int floodPerFlow,
                     int floodPerWindow, long checkpointSeconds) {

    static AuditSettings from(Map<String, ?> c) {
        String data = System.getProperty("karaf.data", "data");
        String dir = str(c, "dir", "");
        String host = str(c, "syslog.host", "");
        boolean tls = Boolean.parseBoolean(str(c, "syslog.tls", "false"));
        return new AuditSettings(dir.isEmpty() ? Path.of(data, "dsi", "audit") : Path.of(dir),
                num(c, "max.file.bytes", 10L * 1024 * 1024), (int) num(c, "max.files", 10),
                (int) num(c, "buffer.size", 10_000), (int) num(c, "detector.denials.count", 20),
                num(c, "detector.denials.window.seconds", 60), (int) num(c, "alarm.backlog.max", 1000),
                host, (int) num(c, "syslog.port", tls ? 6514 : 514), tls, str(c, "syslog.ca", ""),
                (int) num(c, "syslog.queue.max", 10_000), str(c, "node.name", ""),
                num(c, "summary.interval.seconds", 900), num(c, "flood.window.seconds", 2),
                (int) num(c, "flood.records.per.flow", 20), (int) num(c, "flood.records.per.window", 500),
                num(c, "checkpoint.seconds", 30));
    }

    boolean syslogEnabled() {
        return !syslogHost.isBlank();
    }

    SyslogForwarder.Target syslogTarget() {
        return new SyslogForwarder.Target(syslogHost, syslogPort, syslogTls, syslogCa, syslogQueue);
    }

    private static String str(Map<String, ?> c, String k, String def) {
        Object v = c.get(k);
        return v == null ? def : v.toString().trim();
    }

    private static long num(Map<String, ?> c, String k, long def) {
        Object v = c.get(k);
        if (v == null || v.toString().isBlank()) {
            return def;
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("org.opendsi.audit: " + k + " = '" + v + "' is not a number");
        }
    }
}
