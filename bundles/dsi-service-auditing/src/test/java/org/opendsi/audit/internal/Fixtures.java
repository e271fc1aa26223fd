package org.opendsi.audit.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

final class Fixtures {

    private Fixtures() {
    }

    /** A DENY of 'receive' from 10@1 to 20@2, tcp 10.0.0.1:40000 -> 10.0.0.2:port, rule 3. */
    static DsmEvent deny(int port) {
        return new DsmEvent(System.currentTimeMillis() * 1_000_000L, 7, DsmEvent.Type.DENY.code(), 4, 10, 1, 20, 2, 3, 4242,
                0x0A000001, 0x0A000002, 40000, port, 6, 0, "PhoneManiaEP", "");
    }

    static DsmEvent event(DsmEvent.Type type, int srcScid, int tgtScid, long suppressed) {
        return new DsmEvent(System.currentTimeMillis() * 1_000_000L, 7, type.code(), 4, srcScid, 1, tgtScid, 2, 3, 99,
                0x0A000001, 0x0A000002, 40000, 8080, type == DsmEvent.Type.EXEC_DENIED ? 0 : 6, suppressed, "cmd",
                type == DsmEvent.Type.EXEC_DENIED ? "/opt/ringbell/bin/rb" : "");
    }

    static AuditRecord record(DsmEvent e) {
        return EventMapper.draft(e, "colby", (id, v) -> new EventMapper.RuleRef(12, "deny 10 -> 20 receive"));
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
