package org.opendsi.access.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.audit.AuditVerification;
import org.opendsi.api.audit.ServiceAuditEvent;

class AuditForwarderTest {

    /** An auditing service that keeps what it is given, or refuses while told to. */
    static final class Journal implements AuditService {
        final List<ServiceAuditEvent> got = new ArrayList<>();
        boolean refuse;

        @Override
        public void record(ServiceAuditEvent event) {
            if (refuse) {
                throw new IllegalStateException("stopping");
            }
            got.add(event);
        }

        List<String> texts() {
            return got.stream().map(ServiceAuditEvent::text).toList();
        }

        @Override
        public List<AuditRecord> query(AuditQuery query) {
            return List.of();
        }

        @Override
        public AutoCloseable follow(AuditQuery query, Consumer<AuditRecord> consumer) {
            return () -> { };
        }

        @Override
        public AuditVerification verify() {
            return null;
        }

        @Override
        public long dropped() {
            return 0;
        }

        @Override
        public org.opendsi.api.audit.AuditJournalStatus journalStatus() {
            return new org.opendsi.api.audit.AuditJournalStatus(0, 0, 0, 0, true, "", 0);
        }
    }

    private static ServiceAuditEvent ev(String text) {
        return new ServiceAuditEvent(Instant.EPOCH, "access-control", AuditRecord.TYPE_LABEL, 10, 1, "/bin/x", text);
    }

    @Test
    void eventsGoStraightToABoundAuditingService() {
        AuditForwarder f = new AuditForwarder(10);
        Journal j = new Journal();
        f.bind(j);
        f.report(ev("a"));
        assertEquals(List.of("a"), j.texts());
        assertEquals(0, f.waiting());
    }

    @Test
    void eventsWaitWhileAuditingIsAwayAndArriveInOrderWhenItReturns() {
        AuditForwarder f = new AuditForwarder(10);
        Journal old = new Journal();
        f.bind(old);
        f.report(ev("before"));
        f.unbind(old);
        f.report(ev("during 1"));
        f.report(ev("during 2"));
        assertEquals(2, f.waiting());
        Journal next = new Journal();
        f.bind(next);
        assertEquals(List.of("before"), old.texts());
        assertEquals(List.of("during 1", "during 2"), next.texts());
        f.report(ev("after"));
        assertEquals(List.of("during 1", "during 2", "after"), next.texts());
    }

    @Test
    void beyondTheBoundTheOldestAreDroppedAndTheJournalSaysHowMany() {
        AuditForwarder f = new AuditForwarder(3);
        for (int i = 1; i <= 5; i++) {
            f.report(ev("e" + i));
        }
        assertEquals(3, f.waiting());
        assertEquals(2, f.dropped());
        Journal j = new Journal();
        f.bind(j);
        assertEquals(4, j.got.size());
        assertEquals(AuditRecord.TYPE_SERVICE, j.got.get(0).type());
        assertTrue(j.got.get(0).text().startsWith("2 access-control audit events were dropped"), j.got.get(0).text());
        assertEquals(List.of("e3", "e4", "e5"), j.texts().subList(1, 4));
        assertEquals(0, f.dropped());
    }

    @Test
    void aServiceThatRefusesWhileGoingAwayLosesNothing() {
        AuditForwarder f = new AuditForwarder(10);
        Journal j = new Journal();
        f.bind(j);
        j.refuse = true;
        f.report(ev("x"));            // refused: kept, and the service is no longer used
        j.refuse = false;
        f.report(ev("y"));
        assertEquals(List.of(), j.texts());
        assertEquals(2, f.waiting());
        Journal next = new Journal();
        f.bind(next);
        assertEquals(List.of("x", "y"), next.texts());
    }

    @Test
    void shrinkingTheBoundLive() {
        AuditForwarder f = new AuditForwarder(10);
        for (int i = 0; i < 6; i++) {
            f.report(ev("e" + i));
        }
        f.setMax(2);
        assertEquals(2, f.waiting());
        assertEquals(4, f.dropped());
    }
}
