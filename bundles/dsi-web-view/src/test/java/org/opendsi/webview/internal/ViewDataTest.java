package org.opendsi.webview.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.DenialSample;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.StoredAlarm;

class ViewDataTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");

    static DenialFlow flow(int reporter, int src, int srcNode, int tgt, int tgtNode, String rule, long count,
                           String... texts) {
        List<DenialSample> samples = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            samples.add(new DenialSample(T0.plusSeconds(i), 100 + i, 4242, "nc", "udp", "10.77.0." + srcNode, 40000 + i,
                    "10.77.0." + tgtNode, 9000, texts[i]));
        }
        return new DenialFlow(reporter, "DENY", "receive", src, srcNode, tgt, tgtNode, 7, rule, count, T0,
                T0.plusSeconds(texts.length), samples);
    }

    static Fakes.FakeSecurityServer cluster() {
        Fakes.FakeSecurityServer ss = new Fakes.FakeSecurityServer();
        ss.policyVersion = 2;
        ss.nodes = List.of(
                new NodeRecord(2, "munster", "10.77.0.2", NodeState.CONNECTED, 1, null, T0, null, T0),
                new NodeRecord(1, "colby", "10.77.0.1", NodeState.CONNECTED, 2, null, T0, null, T0));
        ss.alarms = List.of(
                new StoredAlarm(new Alarm("a1", AlarmPriority.HIGH, 2, "munster", T0, "detector", "old, acked"), T0, T0),
                new StoredAlarm(new Alarm("a2", AlarmPriority.CRITICAL, 2, "munster", T0.plusSeconds(5), "dsm",
                        "<script>alert(1)</script> denied 10@1 -> 20"), T0, null),
                new StoredAlarm(new Alarm("a3", AlarmPriority.LOW, 1, "colby", T0.plusSeconds(9), "dsm", "newest"), T0, null));
        ss.denials = List.of(
                flow(2, 10, 1, 20, 2, "deny 10->20 all", 7, "r1", "r2", "r3"),
                flow(1, 20, 2, 10, 1, "", 2, "back"));
        return ss;
    }

    @Test
    void theSecurityServersOwnNodeIsShownWithTheVersionItApplied() throws Exception {
        Fakes.FakeSecurityServer fake = cluster();
        fake.snid = 7;   // not among the members on record
        ViewData d = new ViewData(fake.proxy(), new Fakes.FakePolicyService("boot.xml", "virtual-zones-zoned.xml"));
        JsonNode o = JSON.readTree(d.overview());
        JsonNode own = null;
        for (JsonNode n : o.at("/nodes")) {
            if (n.at("/snid").asInt() == 7) {
                own = n;
            }
        }
        assertTrue(own != null, o.toString());
        assertEquals("server", own.at("/state").asText());
        assertEquals(2, own.at("/ackedVersion").asLong());
        assertEquals(o.at("/nodes").size() - 1, fake.proxy().nodes().size(), "one row added, the members unchanged");
    }

    @Test
    void overviewHasStatusNodesOpenAlarmsAndHistory() throws Exception {
        ViewData d = new ViewData(cluster().proxy(), new Fakes.FakePolicyService("boot.xml", "virtual-zones-zoned.xml"));
        JsonNode o = JSON.readTree(d.overview());
        assertEquals(2, o.at("/server/policyVersion").asLong());
        assertEquals("test-cluster", o.at("/server/cluster").asText());
        assertEquals(2, o.at("/policy/version").asLong());
        assertEquals("virtual-zones", o.at("/policy/name").asText());
        // nodes by SnID, with state and acked version
        assertEquals(1, o.at("/nodes/0/snid").asInt());
        assertEquals("colby", o.at("/nodes/0/name").asText());
        assertEquals(2, o.at("/nodes/0/ackedVersion").asLong());
        assertEquals(1, o.at("/nodes/1/ackedVersion").asLong());
        assertEquals("connected", o.at("/nodes/1/state").asText());
        assertEquals(T0.toString(), o.at("/nodes/1/lastHeartbeat").asText());
        // open alarms only, newest first; text passed through as data (escaped in JSON, never markup)
        assertEquals(2, o.at("/openAlarmCount").asInt());
        assertEquals(2, o.at("/alarms").size());
        assertEquals("a3", o.at("/alarms/0/id").asText());
        assertEquals("CRITICAL", o.at("/alarms/1/priority").asText());
        assertEquals("<script>alert(1)</script> denied 10@1 -> 20", o.at("/alarms/1/text").asText());
        assertFalse(d.overview().contains("<script>"), "no literal markup in the JSON text");
        // history newest first
        assertEquals(2, o.at("/history/0/version").asLong());
        assertEquals(1, o.at("/history/1/version").asLong());
        assertEquals(64, o.at("/history/0/digest").asText().length());
    }

    @Test
    void graphHasZonesContextsAndAllowedRelationsWithTheirNodes() throws Exception {
        ViewData d = new ViewData(cluster().proxy(), new Fakes.FakePolicyService("virtual-zones-zoned.xml"));
        JsonNode g = JSON.readTree(d.graph());
        assertEquals(1, g.at("/version").asLong());
        List<String> contexts = new ArrayList<>();
        g.at("/contexts").forEach(c -> contexts.add(c.at("/scid").asText() + ":" + c.at("/name").asText()));
        assertEquals(List.of("2:shell", "10:phonemania", "20:ringbell", "30:admin"), contexts);
        assertEquals("phonemania", g.at("/contexts/1/zones/0").asText());
        JsonNode admin = null;
        for (JsonNode z : g.at("/zones")) {
            if (z.at("/name").asText().equals("admin")) {
                admin = z;
            }
        }
        assertNotNull(admin);
        assertTrue(admin.at("/admin").asBoolean());
        assertEquals(30, admin.at("/contexts/0").asInt());
        // the admin zone reaches the tenants from both nodes; the tenants never reach each other
        JsonNode adminToPhone = relation(g, 30, 10);
        assertNotNull(adminToPhone, "30 -> 10 allowed");
        JsonNode connect = null;
        for (JsonNode p : adminToPhone.at("/permissions")) {
            if (p.at("/permission").asText().equals("connect")) {
                connect = p;
            }
        }
        assertNotNull(connect);
        assertEquals("[1,2]", connect.at("/nodes").toString());
        assertFalse(connect.at("/rules/0").asText().isEmpty());
        assertEquals(null, relation(g, 10, 20), "phonemania never reaches ringbell");
        assertEquals(null, relation(g, 20, 10));
    }

    private static JsonNode relation(JsonNode g, int src, int tgt) {
        for (JsonNode r : g.at("/relations")) {
            if (r.at("/src").asInt() == src && r.at("/tgt").asInt() == tgt) {
                return r;
            }
        }
        return null;
    }

    @Test
    void denialsOfTheLastMinutesWithCountsRulesNamesAndRecords() throws Exception {
        Fakes.FakeSecurityServer ss = cluster();
        ViewData d = new ViewData(ss.proxy(), new Fakes.FakePolicyService("virtual-zones.xml"));
        JsonNode j = JSON.readTree(d.denials(5, T0.plusSeconds(600)));
        assertEquals(T0.plusSeconds(300), ss.askedSince);
        assertEquals(9, j.at("/total").asLong());
        JsonNode f = j.at("/flows/0");
        assertEquals("10@1", f.at("/src").asText());
        assertEquals("20@2", f.at("/tgt").asText());
        assertEquals("phonemania", f.at("/srcName").asText());
        assertEquals("ringbell", f.at("/tgtName").asText());
        assertEquals(7, f.at("/count").asLong());
        assertEquals("deny 10->20 all", f.at("/rule").asText());
        assertEquals(2, f.at("/reporter").asInt());
        assertEquals(3, f.at("/latest").size());
        assertEquals("r3", f.at("/latest/2/text").asText());
        assertEquals(9000, f.at("/latest/2/dstPort").asInt());
        // no label from the node: the rule id is shown
        assertEquals("rule 7", j.at("/flows/1/rule").asText());
        assertEquals(2, j.at("/flows/1/count").asLong());
    }

    @Test
    void denialListsAreBounded() throws Exception {
        Fakes.FakeSecurityServer ss = cluster();
        List<DenialFlow> many = new ArrayList<>();
        for (int i = 0; i < ViewData.MAX_FLOWS + 50; i++) {
            many.add(flow(2, 10, 1, 20, 2, "r" + i, i + 1, "x"));
        }
        ss.denials = many;
        JsonNode j = JSON.readTree(new ViewData(ss.proxy(), new Fakes.FakePolicyService("virtual-zones.xml")).denials(1, T0));
        assertEquals(ViewData.MAX_FLOWS, j.at("/flows").size());
        assertTrue(j.at("/truncated").asBoolean());
        assertEquals(ViewData.MAX_FLOWS + 50, j.at("/flows/0/count").asLong(), "biggest first");
    }

    @Test
    void diffOfTwoVersionsSemanticAndByLine() throws Exception {
        ViewData d = new ViewData(cluster().proxy(), new Fakes.FakePolicyService("boot.xml", "virtual-zones-zoned.xml"));
        assertEquals(1L, d.previousVersion(2).orElseThrow());
        assertTrue(d.previousVersion(1).isEmpty());
        JsonNode j = JSON.readTree(d.diff(1, 2));
        assertEquals(1, j.at("/from").asLong());
        assertEquals(2, j.at("/to").asLong());
        boolean phonemaniaAdded = false;
        for (JsonNode c : j.at("/changes")) {
            if (c.at("/kind").asText().equals("ADDED") && c.at("/table").asText().equals("access")
                    && c.at("/key").asText().equals("30@*->10")
                    && c.at("/after").asText().equals("allow connect send receive")) {
                phonemaniaAdded = true;
            }
        }
        assertTrue(phonemaniaAdded, j.at("/changes").toString());
        assertTrue(j.at("/lines/ok").asBoolean());
        assertTrue(j.at("/lines/added").asInt() > 10);
        boolean lineAdded = false;
        for (JsonNode h : j.at("/lines/hunks")) {
            for (JsonNode l : h.at("/lines")) {
                lineAdded |= l.at("/op").asText().equals("+") && l.at("/text").asText().contains("name=\"phonemania\"");
            }
        }
        assertTrue(lineAdded);
        assertThrows(ViewData.NotFoundException.class, () -> d.diff(1, 9));
    }
}
