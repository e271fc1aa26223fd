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
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.api.audit.AuditJournalStatus;
import org.opendsi.api.audit.AuditService;
import org.opendsi.sm.ManagerStatus;
import org.opendsi.sm.SecurityManagerService;
import org.opendsi.ss.NodeChannel;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.PolicyPropagation;
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

    /** The services metrics are read from; any may be null (absent). */
    record Sources(Dsm dsm, SecurityServer ss, SecurityManagerService sm, AuditService audit, DenialCounters denials) {
    }

    /** Everything known now about these services (either may be null). */
    public static MetricSnapshots collect(Dsm dsm, SecurityServer ss) {
        return collect(new Sources(dsm, ss, null, null, null));
    }

    static MetricSnapshots collect(Sources src) {
        Dsm dsm = src.dsm();
        SecurityServer ss = src.ss();
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
        if (src.sm() != null) {
            try {
                all.addAll(securityManager(src.sm().status()));
            } catch (RuntimeException e) {
                LOG.debug("Security Manager metrics skipped", e);
            }
        }
        if (src.audit() != null) {
            try {
                all.addAll(audit(src.audit().journalStatus()));
            } catch (RuntimeException e) {
                LOG.debug("audit journal metrics skipped", e);
            }
        }
        if (src.denials() != null) {
            all.add(denials(src.denials()));
        }
        return new MetricSnapshots(all);
    }

    /** Writes the snapshots in the Prometheus text format (0.0.4). */
    public static void write(OutputStream out, MetricSnapshots snapshots) throws IOException {
        WRITER.write(out, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);
    }

    /** The exposition text of these services. */
    public static String render(Dsm dsm, SecurityServer ss) {
        return render(new Sources(dsm, ss, null, null, null));
    }

    static String render(Sources src) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(bytes, collect(src));
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

        List<NodeChannel> channels = ss.channels();
        out.add(gauge("dsi_scc_connections", "Nodes connected to the Security Server over the SCC", Labels.EMPTY,
                channels.size()));
        GaugeSnapshot.Builder queued = GaugeSnapshot.builder().name("dsi_scc_queued_frames")
                .help("Frames waiting to be written on each node's SCC connection, per lane");
        for (NodeChannel c : channels) {
            String snid = Integer.toUnsignedString(c.snid());
            queued.dataPoint(point(Labels.of("snid", snid, "lane", "alarm"), c.queuedAlarm()));
            queued.dataPoint(point(Labels.of("snid", snid, "lane", "control"), c.queuedControl()));
            queued.dataPoint(point(Labels.of("snid", snid, "lane", "bulk"), c.queuedBulk()));
        }
        out.add(queued.build());

        PolicyPropagation p = ss.policyPropagation();
        ClassicHistogramBuckets.Builder buckets = ClassicHistogramBuckets.builder();
        for (int i = 0; i < p.upperBounds().size(); i++) {
            buckets.bucket(p.upperBounds().get(i), p.counts().get(i));
        }
        buckets.bucket(Double.POSITIVE_INFINITY, p.counts().get(p.upperBounds().size()));
        out.add(HistogramSnapshot.builder().name("dsi_ss_policy_propagation_seconds")
                .help("Time from a policy version becoming the Security Server's to each node's acknowledgement")
                .dataPoint(HistogramDataPointSnapshot.builder().classicHistogramBuckets(buckets.build())
                        .sum(p.sumSeconds()).build())
                .build());
        return out;
    }

    // ------------------------------------------------------------------ Security Manager

    static List<MetricSnapshot> securityManager(ManagerStatus s) {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(gauge("dsi_sm_connected", "1 while this Security Manager's SCC connection to the Security Server is up",
                Labels.EMPTY, "CONNECTED".equals(s.connection()) ? 1 : 0));
        out.add(gauge("dsi_sm_signed_policy_version", "Version of the last signed policy this node applied",
                Labels.EMPTY, s.signedVersion()));
        out.add(gauge("dsi_sm_queued_alarms", "Alarms waiting for the Security Server (persistent queue)",
                Labels.EMPTY, s.queuedAlarms()));
        out.add(counter("dsi_sm_dropped_alarms", "Alarms dropped because the queue was full", Labels.EMPTY,
                s.droppedAlarms()));
        GaugeSnapshot.Builder queued = GaugeSnapshot.builder().name("dsi_scc_queued_frames")
                .help("Frames waiting to be written on the SCC connection, per lane");
        String[] lanes = {"alarm", "control", "bulk"};
        for (int i = 0; i < lanes.length && i < s.queuedFrames().size(); i++) {
            queued.dataPoint(point(Labels.of("lane", lanes[i]), s.queuedFrames().get(i)));
        }
        out.add(queued.build());
        return out;
    }

    // ------------------------------------------------------------------ auditing

    static List<MetricSnapshot> audit(AuditJournalStatus j) {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(gauge("dsi_audit_journal_records", "Records held in this node's audit journal", Labels.EMPTY, j.records()));
        out.add(gauge("dsi_audit_journal_bytes", "Size of this node's audit journal files", Labels.EMPTY, j.bytes()));
        out.add(gauge("dsi_audit_journal_last_seq", "Sequence number of the newest audit record", Labels.EMPTY,
                j.lastSeq()));
        out.add(gauge("dsi_audit_journal_intact",
                "1 unless a check of the journal's hash chain found a broken link (dsi:audit-verify)", Labels.EMPTY,
                j.intact() ? 1 : 0));
        out.add(counter("dsi_audit_records_lost", "Audit records lost because the auditing buffer overflowed",
                Labels.EMPTY, j.lost()));
        return out;
    }

    static MetricSnapshot denials(DenialCounters counters) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name("dsi_audit_denials")
                .help("Denials this node's auditing journaled (with the DSM's rate-limited ones), per flow: "
                        + "type, permission, source and target context and node");
        counters.snapshot().forEach((f, n) -> b.dataPoint(CounterDataPointSnapshot.builder()
                .labels(Labels.of("type", f.type(), "permission", f.permission(), "src_scid", f.srcScid(),
                        "src_snid", f.srcSnid(), "tgt_scid", f.tgtScid(), "tgt_snid", f.tgtSnid()))
                .value(n).build()));
        return b.build();
    }

    private static GaugeDataPointSnapshot point(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
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
