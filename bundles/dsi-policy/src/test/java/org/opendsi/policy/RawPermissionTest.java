package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opendsi.api.Permission;

/** "raw" (raw IP sockets) is granted by name only: "all" and zones leave it out; a deny of "all" covers it. */
class RawPermissionTest {

    @Test
    void rawIsGrantedByNameOnly() throws Exception {
        CompiledPolicy p = TestSupport.compile(TestSupport.dsp(TestSupport.DECLS
                + "  <default decision=\"deny\" external=\"deny\"/>\n"
                + "  <zones>\n"
                + "    <zone name=\"z\" contexts=\"3\"/>\n"
                + "  </zones>\n"
                + "  <rules>\n"
                + "    <allow source=\"1\" target=\"1\" permissions=\"all\"/>\n"
                + "    <allow source=\"2\" target=\"2\" permissions=\"create raw\"/>\n"
                + "  </rules>\n"));
        assertTrue(p.decide(1, 1, 1, Permission.CREATE).allowed());
        assertFalse(p.decide(1, 1, 1, Permission.RAW).allowed(), "'all' does not grant raw");
        assertTrue(p.decide(2, 1, 2, Permission.RAW).allowed(), "granted by name");
        assertTrue(p.decide(3, 1, 3, Permission.CREATE).allowed());
        assertFalse(p.decide(3, 1, 3, Permission.RAW).allowed(), "a zone does not grant raw");
    }

    @Test
    void aDenyOfAllCoversRaw() throws Exception {
        CompiledPolicy p = TestSupport.compile(TestSupport.dsp(TestSupport.DECLS
                + "  <default decision=\"allow\" external=\"allow\"/>\n"
                + "  <rules>\n"
                + "    <deny source=\"1\" target=\"1\" permissions=\"all\"/>\n"
                + "  </rules>\n"));
        assertFalse(p.decide(1, 1, 1, Permission.RAW).allowed());
        assertTrue(p.decide(2, 1, 2, Permission.RAW).allowed(), "a default allow allows everything");
    }
}
