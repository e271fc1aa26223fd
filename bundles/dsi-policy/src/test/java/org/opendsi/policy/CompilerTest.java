package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.policy.TestSupport.DECLS;
import static org.opendsi.policy.TestSupport.compile;
import static org.opendsi.policy.TestSupport.dsp;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.table.CompiledTable;

/** Every construct of the language compiles to the documented table entries and decisions. */
class CompilerTest {

    private static CompiledTable.Access record(CompiledTable t, int s, int n, int tgt) {
        return t.access().stream().filter(a -> a.srcScid() == s && a.srcSnid() == n && a.tgtScid() == tgt)
                .findFirst().orElse(null);
    }

    @Test
    void nodeRestrictedRulesMergeWithTheAnyRecord() throws Exception {
        CompiledPolicy p = compile(dsp(DECLS + "  <rules>\n"
                + "    <allow source=\"1\" target=\"2\" permissions=\"send\"/>\n"                          // 13, id 1
                + "    <allow source=\"1\" target=\"2\" permissions=\"receive\" source-nodes=\"2\"/>\n"    // 14, id 2
                + "    <deny source=\"1\" target=\"2\" permissions=\"send\" source-nodes=\"1\"/>\n"        // 15, id 3
                + "  </rules>\n"));
        CompiledTable t = p.table();
        assertEquals(3, t.access().size());
        CompiledTable.Access any = record(t, 1, SecurityIds.ANY, 2);
        assertEquals(Permission.SEND.mask(), any.allowMask());
        assertEquals(1, any.ruleId(Permission.SEND));
        CompiledTable.Access n2 = record(t, 1, 2, 2);
        assertEquals(Permission.SEND.mask() | Permission.RECEIVE.mask(), n2.allowMask());
        assertEquals(1, n2.ruleId(Permission.SEND));
        assertEquals(2, n2.ruleId(Permission.RECEIVE));
        CompiledTable.Access n1 = record(t, 1, 1, 2);
        assertEquals(0, n1.allowMask());
        assertEquals(3, n1.ruleId(Permission.SEND));
        assertEquals(0, n1.ruleId(Permission.RECEIVE));
        // decisions follow: node record, else ANY record, else default
        assertFalse(p.decide(1, 1, 2, Permission.SEND).allowed());
        assertTrue(p.decide(1, 2, 2, Permission.SEND).allowed());
        assertTrue(p.decide(1, 7, 2, Permission.SEND).allowed());
        assertTrue(p.decide(1, 2, 2, Permission.RECEIVE).allowed());
        assertFalse(p.decide(1, 1, 2, Permission.RECEIVE).allowed());
        assertEquals("deny a->b from node 1 (line 15)", p.decide(1, 1, 2, Permission.SEND).ruleLabel());
        assertEquals(15, p.decide(1, 1, 2, Permission.SEND).ruleLine());
        // the overlap of allow 1 and deny 3 on 1@1->2 send is a warning naming both lines
        assertEquals(1, p.warnings().size(), p.warnings().toString());
        assertEquals(13, p.warnings().get(0).line());
        assertTrue(p.warnings().get(0).message().contains("deny a->b from node 1 (line 15)"));
    }

    @Test
    void denyBeatsAllowWhateverTheOrder() throws Exception {
        for (String rules : List.of(
                "<deny source=\"1\" target=\"1\" permissions=\"connect\"/><allow source=\"1\" target=\"1\" permissions=\"all\"/>",
                "<allow source=\"1\" target=\"1\" permissions=\"all\"/><deny source=\"1\" target=\"1\" permissions=\"connect\"/>")) {
            CompiledPolicy p = compile(dsp(DECLS + "  <rules>" + rules + "</rules>\n"));
            assertFalse(p.decide(1, 1, 1, Permission.CONNECT).allowed());
            assertTrue(p.decide(1, 1, 1, Permission.SEND).allowed());
            assertTrue(p.decide(1, 1, 1, Permission.TRANSITION).allowed());
            assertEquals("deny", p.model().accessRules().stream().filter(r -> r.ruleId()
                    == p.decide(1, 1, 1, Permission.CONNECT).ruleId()).findFirst().orElseThrow().kind());
            assertEquals(1, p.warnings().size());
        }
    }

    @Test
    void transitionsSetTheTransitionBitOnParentAnyNew() throws Exception {
        CompiledPolicy p = compile(dsp(DECLS + "  <rules>\n"
                + "    <allow source=\"1\" target=\"2\" permissions=\"send\" source-nodes=\"1\"/>\n"
                + "    <transition id=\"77\" parent=\"1\" binary=\"3\" new=\"2\"/>\n"
                + "  </rules>\n"));
        CompiledTable t = p.table();
        assertEquals(List.of(new CompiledTable.Transition(1, 3, 2, 77)), t.transitions());
        CompiledTable.Access any = record(t, 1, SecurityIds.ANY, 2);
        assertEquals(Permission.TRANSITION.mask(), any.allowMask());
        assertEquals(77, any.ruleId(Permission.TRANSITION));
        // merged into the node-specific record too
        CompiledTable.Access n1 = record(t, 1, 1, 2);
        assertEquals(Permission.TRANSITION.mask() | Permission.SEND.mask(), n1.allowMask());
        assertEquals(77, n1.ruleId(Permission.TRANSITION));
        Decision exec = p.decideExec(1, 2, 3);
        assertTrue(exec.allowed());
        assertEquals("transition a+c->b (line 14)", exec.ruleLabel());
        assertFalse(p.decideExec(2, 1, 3).allowed());
        assertTrue(p.decideExec(2, 1, 3).ruleLabel().startsWith("no transition rule"));
    }

    @Test
    void auditModeMarksDenialsAuditOnly() throws Exception {
        CompiledPolicy p = compile(dsp(DECLS + "  <rules><allow source=\"3\" target=\"1\" permissions=\"send\"/>"
                + "<deny source=\"1\" target=\"3\" permissions=\"send\"/></rules>\n"));
        assertTrue(p.table().contexts().stream().anyMatch(c -> c.scid() == 3 && c.audit()));
        Decision d = p.decide(3, 1, 2, Permission.SEND);      // subject in audit mode, default deny
        assertFalse(d.allowed());
        assertTrue(d.auditOnly());
        assertTrue(d.passes());
        assertEquals("DENY (audit only)", d.verdict());
        assertTrue(p.decide(1, 1, 3, Permission.SEND).auditOnly());   // target in audit mode, rule deny
        assertEquals(2, p.decide(1, 1, 3, Permission.SEND).ruleId());
        assertFalse(p.decide(3, 1, 1, Permission.SEND).auditOnly());  // allowed: never audit-only
        assertFalse(p.decide(1, 1, 2, Permission.SEND).auditOnly());  // enforce contexts
        assertFalse(p.decide(1, 1, 2, Permission.SEND).passes());
    }

    @Test
    void defaultAllowFillsUndecidedBits() throws Exception {
        CompiledPolicy p = compile(dsp("  <default decision=\"allow\" external=\"deny\"/>\n" + DECLS
                + "  <rules><deny source=\"1\" target=\"2\" permissions=\"send\"/></rules>\n"));
        CompiledTable.Access r = record(p.table(), 1, SecurityIds.ANY, 2);
        assertEquals(Permission.allMask() & ~Permission.SEND.mask(), r.allowMask());
        assertEquals(0, r.ruleId(Permission.RECEIVE));
        assertEquals(Permission.allMask(), p.table().defaultAllowMask());
        assertEquals(0, p.table().externalAllowMask());
        assertEquals("default allow", p.decide(1, 1, 2, Permission.RECEIVE).ruleLabel());
        assertFalse(p.decide(1, 1, 2, Permission.SEND).allowed());
    }

    @Test
    void socketLabelsNodeSpecificBeforeAny() throws Exception {
        CompiledPolicy p = compile(dsp(DECLS + "  <socket-labels>\n"
                + "    <socket protocol=\"tcp\" port=\"22\" scid=\"1\"/>\n"
                + "    <socket protocol=\"tcp\" port=\"22\" scid=\"2\" node=\"2\"/>\n"
                + "    <socket protocol=\"udp\" port=\"22\" scid=\"3\"/>\n"
                + "  </socket-labels>\n"));
        assertEquals(3, p.table().socketLabels().size());
        assertEquals(new CompiledTable.SocketLabel(CompiledTable.PROTO_TCP, 22, SecurityIds.ANY, 1, 1),
                p.table().socketLabels().get(1)); // ANY sorts after node 2 (unsigned)
        assertEquals(1, p.socketLabel(CompiledTable.PROTO_TCP, 22, 1).getAsInt());
        assertEquals(2, p.socketLabel(CompiledTable.PROTO_TCP, 22, 2).getAsInt());
        assertEquals(3, p.socketLabel(CompiledTable.PROTO_UDP, 22, 2).getAsInt());
        assertTrue(p.socketLabel(CompiledTable.PROTO_UDP, 23, 2).isEmpty());
    }

    @Test
    void externalRulesLongestPrefixThenAnyThenDefault() throws Exception {
        CompiledPolicy p = compile(dsp(DECLS + "  <rules>\n"
                + "    <external scid=\"1\" cidr=\"0.0.0.0/0\" decision=\"deny\"/>\n"
                + "    <external scid=\"1\" cidr=\"192.0.2.0/24\" decision=\"allow\" permissions=\"send\"/>\n"
                + "    <external scid=\"*\" cidr=\"198.51.100.0/24\" decision=\"deny\" permissions=\"all\"/>\n"
                + "  </rules>\n"));
        assertEquals(3, p.table().netRules().size());
        CompiledTable.NetRule r = p.table().netRules().get(0);
        assertEquals(1, r.scid());
        assertArrayEquals(new byte[] {0, 0, 0, 0}, r.prefix());
        int inside = Ipv4.parse("192.0.2.9");
        assertTrue(p.decideExternal(1, inside, Permission.SEND).allowed());
        assertFalse(p.decideExternal(1, inside, Permission.CONNECT).allowed()); // /24 covers send only
        assertFalse(p.decideExternal(1, Ipv4.parse("8.8.8.8"), Permission.CONNECT).allowed());
        assertFalse(p.decideExternal(2, Ipv4.parse("198.51.100.7"), Permission.CONNECT).allowed());
        Decision d = p.decideExternal(2, Ipv4.parse("8.8.8.8"), Permission.CONNECT);
        assertTrue(d.allowed());
        assertEquals("default external allow", d.ruleLabel());
        assertThrows(IllegalArgumentException.class, () -> p.decideExternal(1, inside, Permission.RECEIVE));
        assertEquals(Permission.CONNECT.mask() | Permission.SEND.mask(), p.table().netRules().get(2).permMask());
    }

    @Test
    void zonesAndAdminZones() throws Exception {
        CompiledPolicy p = compile(dsp("  <default decision=\"allow\"/>\n" + DECLS
                + "  <zones><zone name=\"za\" contexts=\"1\"/><zone name=\"zb\" contexts=\"2\"/>"
                + "<admin-zone name=\"adm\" contexts=\"3\"/></zones>\n"));
        // zones stay disjoint even under default allow
        for (Permission perm : Permission.values()) {
            assertFalse(p.decide(1, 1, 2, perm).allowed(), perm.toString());
            assertFalse(p.decide(2, 2, 1, perm).allowed(), perm.toString());
        }
        assertTrue(p.decide(3, 1, 1, Permission.CONNECT).allowed());
        assertTrue(p.decide(1, 1, 3, Permission.SEND).allowed());
        assertTrue(p.decide(1, 1, 1, Permission.BIND).allowed());
        assertEquals("zone za (line 13)", p.decide(1, 1, 2, Permission.SEND).ruleLabel());
    }

    @Test
    void explicitAndAutomaticRuleIds() throws Exception {
        CompiledPolicy p = compile(dsp(DECLS + "  <rules>\n"
                + "    <allow source=\"1\" target=\"1\" permissions=\"send\"/>\n"
                + "    <allow id=\"1\" source=\"2\" target=\"2\" permissions=\"send\" name=\"two\"/>\n"
                + "    <allow source=\"3\" target=\"3\" permissions=\"send\"/>\n"
                + "  </rules>\n"));
        assertEquals(2, p.decide(1, 1, 1, Permission.SEND).ruleId());
        assertEquals(1, p.decide(2, 1, 2, Permission.SEND).ruleId());
        assertEquals("allow b->b \"two\" (line 14)", p.decide(2, 1, 2, Permission.SEND).ruleLabel());
        assertEquals(3, p.decide(3, 1, 3, Permission.SEND).ruleId());
        assertEquals(List.of(2, 1, 3), p.rules().stream().map(r -> r.id()).toList());
    }

    @Test
    void tableRoundTripsThroughTheBinaryFormat() throws Exception {
        CompiledPolicy p = TestSupport.compileSample("virtual-zones.xml").withVersion(9);
        byte[] bytes = p.table().encode();
        CompiledTable back = CompiledTable.decode(bytes);
        assertEquals(p.table(), back);
        assertEquals(9, back.policyVersion());
        assertEquals(p.digest(), java.util.HexFormat.of().formatHex(back.digest()));
        // an engine over the decoded table decides the same
        DecisionEngine e = DecisionEngine.of(back);
        for (int s : new int[] {0, 2, 10, 20, 30}) {
            for (int t : new int[] {0, 2, 10, 20, 30}) {
                for (Permission perm : Permission.values()) {
                    assertEquals(p.decide(s, 1, t, perm).allowed(), e.decide(s, 1, t, perm).allowed());
                    assertEquals(p.decide(s, 1, t, perm).ruleId(), e.decide(s, 1, t, perm).ruleId());
                }
            }
        }
    }

    @Test
    void compromisedNodeIsLeftOutOfTheNodeTableSoItsLabelsAreForged() throws Exception {
        String zones = new String(TestSupport.sampleBytes("virtual-zones.xml"), java.nio.charset.StandardCharsets.UTF_8);
        CompiledPolicy before = compile(zones);
        CompiledPolicy after = compile(zones.replace("name=\"munster\" address=\"10.77.0.2\"",
                "name=\"munster\" address=\"10.77.0.2\" compromised=\"true\""));
        assertEquals(2, before.table().nodes().size());
        assertEquals(1, after.table().nodes().size());
        assertEquals(1, after.table().nodes().get(0).snid());
        assertFalse(before.digest().equals(after.digest()), "the amendment changes the digest");
        assertTrue(after.canonicalForm().contains("compromised"));
    }
}
