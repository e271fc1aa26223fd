package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.opendsi.ss.PolicyPropagation;

class PropagationRecorderTest {

    @Test
    void eachNodesFirstAckOfTheCurrentVersionIsTimedFromTheCommand() {
        PropagationRecorder r = new PropagationRecorder();
        Instant cmd = Instant.parse("2026-12-05T04:00:00Z");
        r.started(3, cmd);
        r.acked(2, 3, cmd.plusMillis(40));    // 0.04 s -> bucket le 0.05
        r.acked(2, 3, cmd.plusMillis(900));   // the same node again: not counted twice
        r.acked(3, 3, cmd.plusSeconds(3));    // 3 s -> bucket le 5
        r.acked(4, 2, cmd.plusSeconds(1));    // an older version: not this command's
        r.started(2, cmd.plusSeconds(9));     // an older version cannot restart the clock
        r.acked(5, 3, cmd.plusSeconds(100));  // beyond the last bound: +Inf
        PolicyPropagation p = r.snapshot();
        assertEquals(3, p.count());
        assertEquals(103.04, p.sumSeconds(), 1e-9);
        assertEquals(1L, p.counts().get(PropagationRecorder.BOUNDS.indexOf(0.05)));
        assertEquals(1L, p.counts().get(PropagationRecorder.BOUNDS.indexOf(5.0)));
        assertEquals(1L, p.counts().get(PropagationRecorder.BOUNDS.size()));
        r.started(4, cmd.plusSeconds(200));
        r.acked(2, 4, cmd.plusSeconds(200).plusMillis(10));
        assertEquals(4, r.snapshot().count(), "a new version times every node again");
    }
}
