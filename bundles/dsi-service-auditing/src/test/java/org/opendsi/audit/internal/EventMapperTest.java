package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

/** What an exec refused or killed in the DSM's exec gate looks like in the journal. */
class EventMapperTest {

    private static DsmEvent execDenied(int reason) {
        return new DsmEvent(System.currentTimeMillis() * 1_000_000L, 7, DsmEvent.Type.EXEC_DENIED.code(), 6, 10, 1, 40, 1,
                5, 4242, 0, 0, 0, 0, 0, 0, "tool", "/opt/rb/tool", reason);
    }

    @Test
    void aTransitionKilledInTheGateSaysWhy() {
        AuditRecord r = Fixtures.record(execDenied(2));
        assertEquals(AuditRecord.TYPE_EXEC_DENIED, r.type());
        assertTrue(r.text().startsWith("Killed before its first instruction in context 40 on node 1: exec of /opt/rb/tool"),
                r.text());
        assertTrue(r.text().endsWith("(its environment held a loader or libc injection variable (LD_*, MALLOC_*, "
                + "GCONV_PATH, ...))"), r.text());
    }

    @Test
    void aTracedCallerIsRefusedAndAnExecWithoutRuleReadsAsBefore() {
        AuditRecord traced = Fixtures.record(execDenied(1));
        assertTrue(traced.text().startsWith("Exec of /opt/rb/tool denied") && traced.text().endsWith(
                "(the process was being traced)"), traced.text());
        AuditRecord plain = Fixtures.record(execDenied(0));
        assertTrue(plain.text().startsWith("Exec of /opt/rb/tool denied") && !plain.text().contains("traced"),
                plain.text());
    }
}
