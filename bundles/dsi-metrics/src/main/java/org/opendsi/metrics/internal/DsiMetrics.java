package org.opendsi.metrics.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.StoredAlarm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's metrics as Prometheus snapshots, read from the services at the moment of the scrape
 * (nothing is polled in the background). A service that is absent (null) or fails contributes no
 * metrics; the others are still written.
 */
public final class DsiMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(DsiMetrics.class);

    /** The text format writer's content type ("text/plain; version=0.0.4; charset=utf-8"). */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

    private DsiMetrics() {
    }

    /** Everything known now about these services (either may be null). */
    public static MetricSnapshots collect(Dsm dsm, SecurityServer ss) {
        List<MetricSnapshot> all = new ArrayList<>();
        if (dsm != null) {
            try {
                all.addAll(dsm(dsm));
            } catch (RuntimeException e) {   // e.g. the service went away during the scrape
                LOG.debug("DSM metrics skipped", e);
            }
        }
        if (ss != null) {
            try {
                all.addAll(securityServer(ss));
            } catch (RuntimeException e) {
                LOG.debug("Security Server metrics skipped", e);
            }
        }
        return new MetricSnapshots(all);
    }

    /** Writes the snapshots in the Prometheus text format (0.0.4). */
    public static void write(OutputStream out, MetricSnapshots snapshots) throws IOException {
        WRITER.write(out, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);
    }

    /** The exposition text of these services. */
    public static String render(Dsm dsm, SecurityServer ss) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(bytes, collect(dsm, ss));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ DSM

    static List<MetricSnapshot> dsm(Dsm dsm) {
        DsmStatus status = dsm.status();
        Labels node = Labels.of("snid", Integer.toUnsignedString(dsm.nodeId()));
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(gauge("dsi_dsm_available", "1 when the kernel DSM is attached and enforcing, 0 in audit-only mode",
                node, status.available() ? 1 : 0));
        out.add(gauge("dsi_dsm_policy_version", "Version of the policy table in force in the kernel (0: none)",
                node, status.tableVersion()));
        DsmCounters counters;
        try {
            counters = dsm.counters();
        } catch (DsmException e) {   // unavailable DSM: it has no counters, so none are written
            return out;
        }
        Map<String, Long> described = counters.asMap();
        List<String> descriptions = new ArrayList<>(described.keySet());
        RecordComponent[] components = DsmCounters.class.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            if (c.getName().equals("policyVersion")) {
                continue;   // a version, not a count: dsi_dsm_policy_version
            }
            long value;
            try {
                value = (Long) c.getAccessor().invoke(counters);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            String help = i < descriptions.size() ? "DSM counter: " + descriptions.get(i) : "DSM counter " + c.getName();
            out.add(counter("dsi_dsm_" + snake(c.getName()), help, node, Math.max(0, value)));
        }
        return out;
    }

    /** packetsDenied -> packets_denied, labelsBadMac -> labels_bad_mac. */
    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------ Security Server

    static List<MetricSnapshot> securityServer(SecurityServer ss) {
        List<NodeRecord> nodes = ss.nodes();
        List<StoredAlarm> alarms = ss.alarms();
        long policyVersion = ss.status().policyVersion();
        List<MetricSnapshot> out = new ArrayList<>();

        Map<NodeState, Integer> byState = new EnumMap<>(NodeState.class);
        for (NodeState s : NodeState.values()) {
            byState.put(s, 0);
        }
        nodes.forEach(n -> byState.merge(n.state(), 1, Integer::sum));
        GaugeSnapshot.Builder states = GaugeSnapshot.builder().name("dsi_ss_nodes")
                .help("Nodes on record at the Security Server, by state");
        byState.forEach((s, count) -> states.dataPoint(GaugeDataPointSnapshot.builder()
                .labels(Labels.of("state", s.name().toLowerCase(Locale.ROOT))).value(count).build()));
        out.add(states.build());

        out.add(gauge("dsi_ss_policy_version", "Version of the cluster policy held by the Security Server",
                Labels.EMPTY, policyVersion));

        GaugeSnapshot.Builder acked = GaugeSnapshot.builder().name("dsi_ss_node_acked_policy_version")
                .help("Newest policy version each node reported as applied (0: none yet)");
        nodes.stream().sorted(Comparator.comparingLong(n -> Integer.toUnsignedLong(n.snid())))
                .forEach(n -> acked.dataPoint(GaugeDataPointSnapshot.builder()
                        .labels(Labels.of("snid", Integer.toUnsignedString(n.snid()))).value(n.ackedVersion()).build()));
        out.add(acked.build());

        Map<AlarmPriority, Integer> open = new EnumMap<>(AlarmPriority.class);
        for (AlarmPriority p : AlarmPriority.values()) {
            open.put(p, 0);
        }
        alarms.stream().filter(a -> !a.acked()).forEach(a -> open.merge(a.alarm().priority(), 1, Integer::sum));
        GaugeSnapshot.Builder openAlarms = GaugeSnapshot.builder().name("dsi_ss_open_alarms")
                .help("Alarms not acknowledged, by priority");
        open.forEach((p, count) -> openAlarms.dataPoint(GaugeDataPointSnapshot.builder()
                .labels(Labels.of("priority", p.name().toLowerCase(Locale.ROOT))).value(count).build()));
        out.add(openAlarms.build());

        out.add(counter("dsi_ss_joins", "Joins accepted since the Security Server started", Labels.EMPTY,
                ss.joinsSinceStart()));
        out.add(counter("dsi_ss_compromises", "Nodes declared compromised since the Security Server started",
                Labels.EMPTY, ss.compromisesSinceStart()));
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static GaugeSnapshot gauge(String name, String help, Labels labels, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }

    /** name without _total: the writer appends it. */
    private static CounterSnapshot counter(String name, String help, Labels labels, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }
}
