package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.table.CompiledTable;

/**
 * The samples in policy-samples/ decide what their README says. The decision tables in
 * policy-samples/README.md are parsed and every row is checked, so the README cannot drift; the
 * seed 002 scenario is also asserted here directly.
 */
class SamplesTest {

    private static Decision check(CompiledPolicy p, int s, int n, int t, Permission perm) {
        return p.decide(s, n, t, perm);
    }

    private static void allow(CompiledPolicy p, int s, int n, int t, Permission perm, int rule) {
        Decision d = check(p, s, n, t, perm);
        assertTrue(d.allowed(), s + "@" + n + "->" + t + " " + perm + ": " + d);
        assertEquals(rule, d.ruleId(), d.toString());
        assertFalse(d.auditOnly());
    }

    private static void deny(CompiledPolicy p, int s, int n, int t, Permission perm, int rule) {
        Decision d = check(p, s, n, t, perm);
        assertFalse(d.allowed(), s + "@" + n + "->" + t + " " + perm + ": " + d);
        assertEquals(rule, d.ruleId(), d.toString());
    }

    @Test
    void seed002LongFormDecidesTheScenario() throws Exception {
        CompiledPolicy p = TestSupport.compileSample("virtual-zones.xml");
        assertTrue(p.warnings().isEmpty(), p.warnings().toString());
        // PhoneMania among itself, locally and across colby (1) and munster (2)
        for (int n : new int[] {1, 2}) {
            allow(p, 10, n, 10, Permission.RECEIVE, 5);
            allow(p, 10, n, 10, Permission.SEND, 5);
            allow(p, 10, n, 10, Permission.CONNECT, 9);
            allow(p, 20, n, 20, Permission.RECEIVE, 6);
            allow(p, 20, n, 20, Permission.CONNECT, 10);
        }
        // the fraud: PhoneMania on colby to RingBell's back end on munster, and back
        for (Permission perm : Permission.values()) {
            deny(p, 10, 1, 20, perm, 7);
            deny(p, 20, 2, 10, perm, 8);
        }
        assertEquals("deny phonemania->ringbell (line 38)", check(p, 10, 1, 20, Permission.RECEIVE).ruleLabel());
        // transitions from the shell
        allow(p, 2, 1, 10, Permission.TRANSITION, 11);
        allow(p, 2, 2, 20, Permission.TRANSITION, 12);
        deny(p, 2, 1, 30, Permission.TRANSITION, 0);
        assertEquals(10, p.transition(2, 10).getAsInt());
        assertTrue(p.decideExec(2, 1, 10).allowed());
        assertFalse(p.decideExec(2, 1, 30).allowed());
        assertFalse(p.decideExec(10, 1, 20).allowed());
        // the admin zone reaches both and they answer
        allow(p, 30, 1, 10, Permission.SEND, 14);
        allow(p, 30, 2, 20, Permission.CONNECT, 15);
        allow(p, 10, 2, 30, Permission.SEND, 16);
        allow(p, 20, 1, 30, Permission.RECEIVE, 17);
        deny(p, 10, 1, 30, Permission.CONNECT, 0);
        // unlabeled processes and packets
        deny(p, 0, 0, 10, Permission.RECEIVE, 0);
        deny(p, 0, 0, 0, Permission.CREATE, 0);
        assertEquals("default deny", check(p, 0, 0, 10, Permission.RECEIVE).ruleLabel());
        // socket labels
        assertEquals(10, p.socketLabel(CompiledTable.PROTO_UDP, 8800, 1).getAsInt());
        assertEquals(20, p.socketLabel(CompiledTable.PROTO_UDP, 9001, 2).getAsInt());
        assertTrue(p.socketLabel(CompiledTable.PROTO_TCP, 8800, 1).isEmpty());
        // the article's 12 rules (4 labels, 2 transitions, 6 access rules) plus 5 for the admin zone
        assertEquals(4, p.model().socketLabels().size());
        assertEquals(2, p.model().transitions().size());
        assertEquals(6 + 5, p.model().accessRules().size());
    }

    @Test
    void zoneFormCompilesToTheSameTablesAsTheLongForm() throws Exception {
        CompiledPolicy longForm = TestSupport.compileSample("virtual-zones.xml");
        CompiledPolicy zoned = TestSupport.compileSample("virtual-zones-zoned.xml");
        assertTrue(zoned.model().accessRules().isEmpty());
        assertEquals(3, zoned.model().zones().size());
        assertEquals(withoutRuleIds(longForm.table()), withoutRuleIds(zoned.table()));
        // and every decision agrees on a grid of subjects, nodes, targets and permissions
        int[] ids = {0, 2, 10, 20, 30, 99};
        for (int s : ids) {
            for (int n : new int[] {0, 1, 2, 3}) {
                for (int t : ids) {
                    for (Permission perm : Permission.values()) {
                        assertEquals(longForm.decide(s, n, t, perm).allowed(), zoned.decide(s, n, t, perm).allowed(),
                                s + "@" + n + "->" + t + " " + perm);
                    }
                }
            }
        }
        // a real difference is not hidden by the comparison
        CompiledPolicy permissive = TestSupport.compileSample("permissive.xml");
        assertFalse(withoutRuleIds(longForm.table()).equals(withoutRuleIds(permissive.table())));
    }

    /** Everything a table decides, with rule ids set to 0. */
    static List<String> withoutRuleIds(CompiledTable t) {
        List<String> out = new ArrayList<>();
        out.add("default " + t.defaultAllowMask() + " external " + t.externalAllowMask());
        t.contexts().forEach(c -> out.add(c.toString()));
        t.nodes().forEach(n -> out.add(n.toString()));
        t.access().forEach(a -> out.add(a.srcScid() + "@" + a.srcSnid() + "->" + a.tgtScid() + "=" + a.allowMask()));
        t.socketLabels().forEach(l -> out.add("label " + l.protocol() + "/" + l.port() + "@" + l.snid() + "=" + l.scid()));
        t.transitions().forEach(x -> out.add("tr " + x.parentScid() + "+" + x.binaryScid() + "=" + x.newScid()));
        t.netRules().forEach(r -> out.add("net " + r.scid() + " " + Ipv4.fromBytes(r.prefix()) + "/" + r.prefixLen()
                + " " + r.action() + " " + r.permMask()));
        return out;
    }

    @Test
    void bootPolicyDeniesEverything() throws Exception {
        CompiledPolicy p = TestSupport.compileSample("boot.xml");
        assertEquals(0, p.table().defaultAllowMask());
        assertEquals(0, p.table().externalAllowMask());
        assertTrue(p.table().access().isEmpty());
        assertTrue(p.table().socketLabels().isEmpty());
        for (Permission perm : Permission.values()) {
            deny(p, 0, 0, 0, perm, 0);
            deny(p, 10, 1, 10, perm, 0);
        }
    }

    @Test
    void permissivePolicyLetsTheFraudThrough() throws Exception {
        CompiledPolicy p = TestSupport.compileSample("permissive.xml");
        allow(p, 10, 1, 20, Permission.SEND, 0);
        allow(p, 10, 1, 20, Permission.RECEIVE, 0);
        allow(p, 2, 1, 10, Permission.TRANSITION, 5);
        assertEquals("default allow", p.decide(10, 1, 20, Permission.SEND).ruleLabel());
    }

    private static final Pattern SECTION = Pattern.compile("^### `([a-z-]+\\.xml)`");
    private static final Pattern ROW = Pattern.compile(
            "^\\| `check (\\d+) (\\d+) (\\d+) ([a-z]+)` \\| (ALLOW|DENY) \\| (\\d+) \\| (\\d+) \\| (.*?) \\|\\s*$");

    @Test
    void readmeDecisionTablesMatchTheSamples() throws IOException, Exception {
        List<String> lines = Files.readAllLines(TestSupport.SAMPLES.resolve("README.md"));
        Map<String, CompiledPolicy> cache = new HashMap<>();
        String current = null;
        Map<String, Integer> rowsPerSample = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher sm = SECTION.matcher(line);
            if (sm.find()) {
                current = sm.group(1);
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                assertFalse(line.startsWith("| `check"), "README line " + (i + 1) + " looks like a decision row but"
                        + " does not parse: " + line);
                continue;
            }
            assertTrue(current != null, "decision row before any sample heading at README line " + (i + 1));
            String name = current;
            CompiledPolicy p = cache.computeIfAbsent(name, k -> {
                try {
                    return TestSupport.compileSample(k);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            Decision d = p.decide(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Permission.parse(m.group(4)));
            String where = name + " / README line " + (i + 1) + ": " + line + " -> " + d;
            assertEquals(m.group(5), d.allowed() ? "ALLOW" : "DENY", where);
            assertEquals(Integer.parseInt(m.group(6)), d.ruleId(), where);
            assertEquals(Integer.parseInt(m.group(7)), d.ruleLine(), where);
            assertEquals(m.group(8), d.ruleLabel(), where);
            rowsPerSample.merge(name, 1, Integer::sum);
        }
        for (String s : List.of("virtual-zones.xml", "virtual-zones-zoned.xml", "boot.xml", "permissive.xml")) {
            assertTrue(rowsPerSample.getOrDefault(s, 0) >= 3, "README has too few decision rows for " + s + ": "
                    + rowsPerSample);
        }
    }
}
