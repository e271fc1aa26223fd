package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.ss.DenialFlow;

class DenialWindowTest {

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-12-05T04:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static DenialFlow flow(int reporter, int srcScid, long count) {
        Instant t = Instant.parse("2026-12-05T04:00:00Z");
        return new DenialFlow(reporter, "DENY", "receive", srcScid, 1, 20, 2, 7, "rule 7", count, t, t, List.of());
    }

    @Test
    void countsAddUpPerFlowAndReporterAndLeaveWithTheWindow() {
        MutableClock clock = new MutableClock();
        DenialWindow w = new DenialWindow(Duration.ofMinutes(15), 100, clock);
        w.add(List.of(flow(2, 10, 3), flow(1, 10, 1)), 0);
        clock.now = clock.now.plusSeconds(60);
        w.add(List.of(flow(2, 10, 4)), 0);
        assertEquals(2, w.since(null).size(), "one flow per reporter");
        assertEquals(7, w.since(null).stream().filter(f -> f.reporter() == 2).findFirst().orElseThrow().count());
        assertEquals(4, w.since(clock.now.minusSeconds(30)).get(0).count(), "only the last 30 s");
        clock.now = clock.now.plus(Duration.ofMinutes(14)).plusSeconds(30);
        assertEquals(List.of(4L), w.since(null).stream().map(DenialFlow::count).toList(),
                "the first minute left the 15-minute window");
        clock.now = clock.now.plusSeconds(60);
        assertEquals(List.of(), w.since(null));
    }

    @Test
    void aFloodOfFlowsEvictsTheQuietestAndFollowersSeeEachBatch() throws Exception {
        MutableClock clock = new MutableClock();
        DenialWindow w = new DenialWindow(Duration.ofMinutes(15), 3, clock);
        List<List<DenialFlow>> seen = new ArrayList<>();
        AutoCloseable follow = w.follow(seen::add);
        w.add(List.of(flow(1, 1, 1), flow(1, 2, 1), flow(1, 3, 1)), 0);
        w.add(List.of(flow(1, 1, 1)), 0);        // flow 1 is busy again
        w.add(List.of(flow(1, 4, 1)), 5);        // evicts flow 2, the quietest
        assertEquals(List.of(1, 3, 4), w.since(null).stream().map(DenialFlow::srcScid).sorted().toList());
        assertEquals(5, w.unattributed());
        assertEquals(3, seen.size());
        follow.close();
        w.add(List.of(flow(1, 1, 1)), 0);
        assertEquals(3, seen.size(), "a closed follower hears nothing more");
    }
}
