package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

/** What an exec refused or killed in the DSM's exec gate, and a refused label, look like in the journal. */
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

    @Test
    void aForgedLabelSaysWhyItWasRefused() {
        // a label claiming context 10 of node 1 from 10.199.0.1 whose MAC does not verify (DSM_FORGED_R_MAC)
        DsmEvent e = new DsmEvent(System.currentTimeMillis() * 1_000_000L, 7, DsmEvent.Type.FORGED_LABEL.code(), 4, 10, 1,
                0, 2, 0, 0, 0x0AC70001, 0x0AC70002, 40000, 7040, 17, 0, "", "", 3);
        AuditRecord r = Fixtures.record(e);
        assertEquals(AuditRecord.TYPE_FORGED_LABEL, r.type());
        assertTrue(r.text().endsWith("(its MAC does not verify)"), r.text());
        assertEquals(0, e.execReason(), "the reason byte of a forged label is no exec reason");
    }
}
