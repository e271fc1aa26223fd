package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

/** The flood gate over time: nothing it holds back waits longer than about a window. */
class FloodGateTest {

    private static AuditRecord deny(int sport) {
        return Fixtures.record(new DsmEvent(System.currentTimeMillis() * 1_000_000L, 7, DsmEvent.Type.DENY.code(), 4, 0,
                0, 20, 2, 0, 0, 0x0A0000FE, 0x0A000002, sport, 5060, 17, 0, "", ""));
    }

    private static long count(List<AuditRecord> written) {
        return written.stream().mapToLong(r -> 1 + r.suppressed()).sum();
    }

    @Test
    void aggregatesAreWrittenOnceTheirWindowEndsEvenWhenTheFloodGoesOn() {
        FloodGate g = new FloodGate(2000, 20, 500);
        List<AuditRecord> written = new ArrayList<>();
        long t = 1_000_000;   // any clock: the first call starts the first window
        int sent = 0;
        for (int s = 0; s < 10; s++) {       // 10 s of flood, 100 denials per second from many ports
            for (int i = 0; i < 100; i++) {
                written.addAll(g.admit(deny(1024 + sent % 5000), t + s * 1000L + i * 10L));
                sent++;
            }
            // everything older than the current window is already written
            assertTrue(s < 2 || count(written) >= (s - 2) * 100L, "held back too long at second " + s + ": "
                    + count(written) + " of " + sent);
        }
        written.addAll(g.roll(t + 13_000));
        assertEquals(sent, count(written), "every denial counted once");
        // five 2-s windows: 20 one by one and one aggregate each
        assertTrue(written.size() <= 5 * 21, written.size() + " records for " + sent + " denials");
        assertTrue(written.stream().anyMatch(r -> r.text().startsWith("Flood aggregated: ")));
    }
}
