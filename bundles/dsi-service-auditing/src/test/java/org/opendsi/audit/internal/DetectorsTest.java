package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.dsm.DsmEvent;

class DetectorsTest {

    private final Fixtures.MutableClock clock = new Fixtures.MutableClock();
    private final List<String> alarms = new ArrayList<>();
    private final List<AlarmPriority> priorities = new ArrayList<>();
    private final Detectors d = new Detectors(clock, 5, 60, (p, t) -> {
        priorities.add(p);
        alarms.add(t);
    });

    @Test
    void thresholdWithinWindowRaisesOneAlarmPerWindow() {
        for (int i = 0; i < 4; i++) {
            d.accept(Fixtures.record(Fixtures.deny(8080)));
        }
        assertEquals(0, alarms.size());
        d.accept(Fixtures.record(Fixtures.deny(8080)));
        assertEquals(1, alarms.size());
        String text = alarms.get(0);
        assertTrue(text.contains("context 10 on node 1"), text);
        assertTrue(text.contains("context 20 on node 2"), text);
        assertTrue(text.contains("port 8080/tcp"), text);
        assertTrue(text.contains("5 times within 60 s"), text);
        assertTrue(text.contains("rule 3 (line 12: deny 10 -> 20 receive)"), text);
        assertEquals(AlarmPriority.HIGH, priorities.get(0));
        // a flood in the same window: no more alarms
        for (int i = 0; i < 100; i++) {
            d.accept(Fixtures.record(Fixtures.deny(8080)));
        }
        assertEquals(1, alarms.size());
        // next window: a new alarm once the threshold is reached again, with the count carried
        clock.advance(Duration.ofSeconds(61));
        for (int i = 0; i < 5; i++) {
            d.accept(Fixtures.record(Fixtures.deny(8080)));
        }
        assertEquals(2, alarms.size());
        assertTrue(alarms.get(1).contains("100 more after the previous alarm"), alarms.get(1));
    }

    @Test
    void slowDenialsSpreadOverWindowsRaiseNothing() {
        for (int i = 0; i < 20; i++) {
            d.accept(Fixtures.record(Fixtures.deny(8080)));
            clock.advance(Duration.ofSeconds(20));
        }
        assertEquals(0, alarms.size());
    }

    @Test
    void flowsAreCountedSeparatelyAndSuppressedEventsCount() {
        for (int i = 0; i < 4; i++) {
            d.accept(Fixtures.record(Fixtures.deny(8080)));
            d.accept(Fixtures.record(Fixtures.deny(9090)));
        }
        assertEquals(0, alarms.size());
        // one event carrying 10 suppressed ones crosses the threshold of flow 9090 only
        d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.DENY, 10, 20, 10)));
        assertEquals(1, alarms.size());
    }

    @Test
    void thresholdChangeAppliesLive() {
        d.configure(2, 60);
        d.accept(Fixtures.record(Fixtures.deny(1)));
        d.accept(Fixtures.record(Fixtures.deny(1)));
        assertEquals(1, alarms.size());
    }

    @Test
    void forgedLabelAndDeniedExecAlarmOncePerWindow() {
        d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.FORGED_LABEL, 10, 20, 0)));
        d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.FORGED_LABEL, 10, 20, 0)));
        d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.EXEC_DENIED, 10, 30, 0)));
        d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.EXEC_DENIED, 10, 30, 0)));
        assertEquals(2, alarms.size(), alarms.toString());
        assertEquals(AlarmPriority.CRITICAL, priorities.get(0));
        assertTrue(alarms.get(0).startsWith("Forged label"), alarms.get(0));
        assertTrue(alarms.get(0).contains("10.0.0.1"), alarms.get(0));
        assertTrue(alarms.get(1).contains("/opt/ringbell/bin/rb"), alarms.get(1));
        assertTrue(alarms.get(1).contains("rule 3"), alarms.get(1));
        clock.advance(Duration.ofSeconds(61));
        d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.FORGED_LABEL, 10, 20, 0)));
        assertEquals(3, alarms.size());
        assertTrue(alarms.get(2).contains("1 more since the previous alarm"), alarms.get(2));
    }

    @Test
    void transitionsAndAuditDenialsRaiseNothing() {
        for (int i = 0; i < 50; i++) {
            d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.TRANSITION, 10, 20, 0)));
            d.accept(Fixtures.record(Fixtures.event(DsmEvent.Type.AUDIT_DENY, 10, 20, 0)));
        }
        assertEquals(0, alarms.size());
    }
}
