package org.opendsi.cluster.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.ss.DenialFlow;

class DenialDigestTest {

    static AuditRecord record(String type, long seq, int srcScid, int tgtScid, long suppressed, String text) {
        return new AuditRecord(seq, Instant.parse("2026-12-05T04:00:00Z").plusSeconds(seq), type, "n", "send",
                srcScid, 1, tgtScid, 2, 7, 12, "rule 7", 3, 99, "cat", "", "tcp", "10.0.0.1", 1000, "10.0.0.2", 80,
                suppressed, text, "", "");
    }

    @Test
    void flowsCountDenialsWithTheRateLimitedOnesAndKeepTheLatestRecords() {
        DenialDigest d = new DenialDigest();
        d.add(record(AuditRecord.TYPE_POLICY_LOADED, 1, 0, 0, 0, "not a denial"));
        for (int i = 2; i <= 6; i++) {
            d.add(record(AuditRecord.TYPE_DENY, i, 10, 20, i == 6 ? 100 : 0, "deny " + i));
        }
        d.add(record(AuditRecord.TYPE_DENY, 7, 30, 20, 0, "other flow"));
        DenialDigest.Report r = d.take();
        assertEquals(2, r.flows().size());
        DenialFlow f = r.flows().get(0);
        assertEquals(105, f.count());
        assertEquals(DenialFlow.MAX_SAMPLES, f.latest().size());
        assertEquals("deny 6", f.latest().get(2).text());
        assertEquals(Instant.parse("2026-12-05T04:00:02Z"), f.first());
        assertEquals(Instant.parse("2026-12-05T04:00:06Z"), f.last());
        assertTrue(d.isEmpty(), "take starts a fresh interval");
    }

    @Test
    void aFloodOfDistinctFlowsIsCountedNotListed() {
        DenialDigest d = new DenialDigest();
        for (int i = 0; i < DenialDigest.MAX_FLOWS + 50; i++) {
            d.add(record(AuditRecord.TYPE_DENY, i, i, 20, 1, "x"));
        }
        DenialDigest.Report r = d.take();
        assertEquals(DenialDigest.MAX_FLOWS, r.flows().size());
        assertEquals(100, r.unattributed());
    }

    @Test
    void theWireFormRoundTripsAndTheReceiverDecidesTheReporter() {
        DenialDigest d = new DenialDigest();
        d.add(record(AuditRecord.TYPE_FORGED_LABEL, 1, 10, 20, 0, "x".repeat(5000)));
        ObjectNode wire = (ObjectNode) DenialDigest.encode(d.take());
        wire.withArray("flows").forEach(f -> ((ObjectNode) f).put("reporter", 9));   // the sender's claim is ignored
        DenialDigest.Report back = DenialDigest.decode(wire, 2);
        DenialFlow f = back.flows().get(0);
        assertEquals(2, f.reporter());
        assertEquals(AuditRecord.TYPE_FORGED_LABEL, f.type());
        assertEquals(DenialDigest.MAX_TEXT, f.latest().get(0).text().length(), "texts are bounded");
        assertEquals("rule 7", f.ruleLabel());
        assertEquals(80, f.latest().get(0).dstPort());
    }

    @Test
    void malformedReportsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> DenialDigest.decode(Json.object(), 2));
        ObjectNode notDenial = Json.object();
        notDenial.putArray("flows").addObject().put("type", "TRANSITION").put("count", 1);
        assertThrows(IllegalArgumentException.class, () -> DenialDigest.decode(notDenial, 2));
        ObjectNode negative = Json.object();
        negative.putArray("flows").addObject().put("type", "DENY").put("count", -5);
        assertThrows(IllegalArgumentException.class, () -> DenialDigest.decode(negative, 2));
        ObjectNode tooMany = Json.object();
        var flows = tooMany.putArray("flows");
        for (int i = 0; i < DenialDigest.MAX_FLOWS + 3; i++) {
            flows.addObject().put("type", "DENY").put("count", 2).put("srcScid", i);
        }
        DenialDigest.Report r = DenialDigest.decode(tooMany, 2);
        assertEquals(DenialDigest.MAX_FLOWS, r.flows().size());
        assertEquals(6, r.unattributed());
    }
}
