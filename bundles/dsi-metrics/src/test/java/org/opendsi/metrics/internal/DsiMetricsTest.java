package org.opendsi.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.DsmUnavailableException;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.StoredAlarm;

/** Renders stand-in services through the Prometheus text writer and reads the lines back. */
class DsiMetricsTest {

    /** A DSM of SnID 2; counters numbered 1..20 in declaration order, except packetsDenied = 7. */
    private static Dsm dsm(boolean available) {
        DsmCounters counters = new DsmCounters(5, 2, 3, 7, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
        return (Dsm) Proxy.newProxyInstance(Dsm.class.getClassLoader(), new Class<?>[] {Dsm.class}, (p, m, a) -> {
            switch (m.getName()) {
                case "status":
                    return new DsmStatus(available, available ? "" : "disabled by configuration", 2, 0, "", "", "", "",
                            "", "", "", 5, "");
                case "nodeId":
                    return 2;
                case "counters":
                    if (!available) {
                        throw new DsmUnavailableException("disabled by configuration");
                    }
                    return counters;
                default:
                    throw new UnsupportedOperationException(m.getName());
            }
        });
    }

    private static SecurityServer ss() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        List<NodeRecord> nodes = List.of(
                new NodeRecord(1, "colby", "10.0.0.1", NodeState.CONNECTED, 4, "", t, t, t),
                new NodeRecord(2, "munster", "10.0.0.2", NodeState.CONNECTED, 3, "", t, t, t),
                new NodeRecord(3, "mallory", "10.0.0.3", NodeState.COMPROMISED, 2, "", t, t, t));
        List<StoredAlarm> alarms = List.of(
                new StoredAlarm(new Alarm("a1", AlarmPriority.HIGH, 2, "munster", t, "auditing", "x"), t, null),
                new StoredAlarm(new Alarm("a2", AlarmPriority.HIGH, 2, "munster", t, "auditing", "y"), t, null),
                new StoredAlarm(new Alarm("a3", AlarmPriority.CRITICAL, 3, "mallory", t, "ss", "z"), t, t));
        return (SecurityServer) Proxy.newProxyInstance(SecurityServer.class.getClassLoader(),
                new Class<?>[] {SecurityServer.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "nodes":
                            return nodes;
                        case "alarms":
                            return alarms;
                        case "status":
                            return new ServerStatus("embedded", "dsi", 1, "", "", "", 4, 2, 3, 2);
                        case "joinsSinceStart":
                            return 3L;
                        case "compromisesSinceStart":
                            return 1L;
                        case "channels":
                            return List.of(new org.opendsi.ss.NodeChannel(2, "/10.0.0.2:40000", t, 0, 1, 17));
                        case "policyPropagation":
                            return new org.opendsi.ss.PolicyPropagation(List.of(0.1, 1.0), List.of(3L, 1L, 1L), 12.5, 5);
                        default:
                            throw new UnsupportedOperationException(m.getName());
                    }
                });
    }

    private static List<String> lines(String text) {
        return Arrays.asList(text.split("\n"));
    }

    @Test
    void dsmAndSecurityServer() {
        String text = DsiMetrics.render(dsm(true), ss());
        List<String> l = lines(text);
        assertTrue(l.contains("dsi_dsm_available{snid=\"2\"} 1.0"), text);
        assertTrue(l.contains("dsi_dsm_policy_version{snid=\"2\"} 5.0"), text);
        assertTrue(l.contains("dsi_dsm_packets_denied_total{snid=\"2\"} 7.0"), text);
        assertTrue(l.contains("dsi_dsm_forged_labels_total{snid=\"2\"} 6.0"), text);
        assertTrue(l.contains("dsi_dsm_labels_bad_mac_total{snid=\"2\"} 13.0"), text);
        assertTrue(l.contains("dsi_dsm_port_guard_drops_total{snid=\"2\"} 20.0"), text);
        assertTrue(l.contains("# TYPE dsi_dsm_packets_denied_total counter"), text);
        assertTrue(l.contains("# TYPE dsi_dsm_available gauge"), text);
        // every counter but the policy version, each once
        long counters = l.stream().filter(s -> s.startsWith("dsi_dsm_") && s.contains("_total{")).count();
        assertEquals(DsmCounters.class.getRecordComponents().length - 1, counters, text);
        assertFalse(text.contains("dsi_dsm_policy_version_total"), text);

        assertTrue(l.contains("dsi_ss_nodes{state=\"connected\"} 2.0"), text);
        assertTrue(l.contains("dsi_ss_nodes{state=\"compromised\"} 1.0"), text);
        assertTrue(l.contains("dsi_ss_nodes{state=\"joined\"} 0.0"), text);
        assertTrue(l.contains("dsi_ss_policy_version 4.0"), text);
        assertTrue(l.contains("dsi_ss_node_acked_policy_version{snid=\"1\"} 4.0"), text);
        assertTrue(l.contains("dsi_ss_node_acked_policy_version{snid=\"3\"} 2.0"), text);
        assertTrue(l.contains("dsi_ss_open_alarms{priority=\"high\"} 2.0"), text);
        assertTrue(l.contains("dsi_ss_open_alarms{priority=\"critical\"} 0.0"), text);
        assertTrue(l.contains("dsi_ss_joins_total 3.0"), text);
        assertTrue(l.contains("dsi_ss_compromises_total 1.0"), text);
        assertTrue(l.contains("dsi_scc_connections 1.0"), text);
        assertTrue(l.contains("dsi_scc_queued_frames{lane=\"bulk\",snid=\"2\"} 17.0"), text);
        // cumulative buckets: 3 within 0.1 s, 4 within 1 s, all 5 below +Inf
        assertTrue(l.contains("dsi_ss_policy_propagation_seconds_bucket{le=\"0.1\"} 3"), text);
        assertTrue(l.contains("dsi_ss_policy_propagation_seconds_bucket{le=\"1.0\"} 4"), text);
        assertTrue(l.contains("dsi_ss_policy_propagation_seconds_bucket{le=\"+Inf\"} 5"), text);
        assertTrue(l.contains("dsi_ss_policy_propagation_seconds_count 5"), text);
        assertTrue(l.contains("dsi_ss_policy_propagation_seconds_sum 12.5"), text);
    }

    @Test
    void managerAndAuditing() {
        org.opendsi.sm.SecurityManagerService sm = (org.opendsi.sm.SecurityManagerService) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.opendsi.sm.SecurityManagerService.class}, (p, m, a) -> {
                    if (!m.getName().equals("status")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    return new org.opendsi.sm.ManagerStatus("manager", "dsi", 2, "munster", true, "10.0.0.1:8101",
                            "CONNECTED", 4, 4, 2, 1, null, null, List.of(0, 3, 9));
                });
        org.opendsi.api.audit.AuditService audit = (org.opendsi.api.audit.AuditService) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.opendsi.api.audit.AuditService.class}, (p, m, a) -> {
                    if (!m.getName().equals("journalStatus")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    return new org.opendsi.api.audit.AuditJournalStatus(120, 100, 65536, 2, false, "record 7 changed", 3);
                });
        DenialCounters denials = new DenialCounters();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 3; i++) {
            denials.add(new org.opendsi.api.audit.AuditRecord(i, t, "DENY", "munster", "receive", 10, 1, 20, 2, 7, 3,
                    "rule 7", 4, 0, "", "", "udp", "", 0, "", 0, i == 2 ? 40 : 0, "", "", ""));
        }
        denials.add(new org.opendsi.api.audit.AuditRecord(9, t, "TRANSITION", "munster", "", 2, 2, 10, 2, 0, 0,
                "", 4, 0, "", "", "", "", 0, "", 0, 0, "", "", ""));
        String text = DsiMetrics.render(new DsiMetrics.Sources(null, null, sm, audit, denials));
        List<String> l = lines(text);
        assertTrue(l.contains("dsi_sm_connected 1.0"), text);
        assertTrue(l.contains("dsi_sm_queued_alarms 2.0"), text);
        assertTrue(l.contains("dsi_scc_queued_frames{lane=\"bulk\"} 9.0"), text);
        assertTrue(l.contains("dsi_audit_journal_records 100.0"), text);
        assertTrue(l.contains("dsi_audit_journal_intact 0.0"), text);
        assertTrue(l.contains("dsi_audit_records_lost_total 3.0"), text);
        assertTrue(l.contains("dsi_audit_denials_total{permission=\"receive\",src_scid=\"10\",src_snid=\"1\","
                + "tgt_scid=\"20\",tgt_snid=\"2\",type=\"DENY\"} 43.0"), text);
        assertEquals(1, l.stream().filter(s -> s.startsWith("dsi_audit_denials_total{")).count(), "transitions are no denials");
    }

    @Test
    void aFloodOfDistinctDeniedFlowsKeepsTheSeriesBounded() {
        DenialCounters denials = new DenialCounters();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < DenialCounters.MAX_SERIES + 100; i++) {
            denials.add(new org.opendsi.api.audit.AuditRecord(i, t, "DENY", "n", "receive", i, 1, 20, 2, 0, 0,
                    "", 4, 0, "", "", "udp", "", 0, "", 0, 0, "", "", ""));
        }
        var snap = denials.snapshot();
        assertEquals(DenialCounters.MAX_SERIES + 1, snap.size());
        assertEquals(100L, snap.get(DenialCounters.OTHER));
    }

    @Test
    void unavailableDsmHasNoCountersAndAbsentServicesNoMetrics() {
        String text = DsiMetrics.render(dsm(false), null);
        List<String> l = lines(text);
        assertTrue(l.contains("dsi_dsm_available{snid=\"2\"} 0.0"), text);
        assertTrue(l.contains("dsi_dsm_policy_version{snid=\"2\"} 5.0"), text);
        assertFalse(text.contains("_total"), text);
        assertFalse(text.contains("dsi_ss_"), text);

        assertEquals("", DsiMetrics.render(null, null));
    }

    @Test
    void counterNames() {
        assertEquals("labels_bad_mac", DsiMetrics.snake("labelsBadMac"));
        assertEquals("packets_audit_only", DsiMetrics.snake("packetsAuditOnly"));
        Map<String, Long> m = new DsmCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).asMap();
        assertEquals(DsmCounters.class.getRecordComponents().length, m.size());
    }
}
