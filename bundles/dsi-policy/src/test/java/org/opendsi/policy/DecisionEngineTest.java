package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.table.CompiledTable;

/** The hash-based engine answers exactly what TABLE-FORMAT.md's lookup rule says, without allocating. */
class DecisionEngineTest {

    /** A random policy: contexts 1..C (some in audit mode), nodes 1..N, random allow/deny rules. */
    static String randomPolicy(Random rnd, int contexts, int nodes, int rules, boolean defaultAllow) {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\"?>\n<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"rnd\">\n");
        sb.append("<default decision=\"").append(defaultAllow ? "allow" : "deny").append("\"/>\n<nodes>\n");
        for (int n = 1; n <= nodes; n++) {
            sb.append("<node snid=\"").append(n).append("\" name=\"n").append(n).append("\" address=\"10.1.")
                    .append(n / 250).append('.').append(n % 250 + 1).append("\"/>\n");
        }
        sb.append("</nodes>\n<contexts>\n");
        for (int c = 1; c <= contexts; c++) {
            sb.append("<context scid=\"").append(c).append("\" name=\"c").append(c).append("\"")
                    .append(c % 7 == 0 ? " mode=\"audit\"" : "").append("/>\n");
        }
        sb.append("</contexts>\n<rules>\n");
        Permission[] perms = Permission.values();
        for (int i = 0; i < rules; i++) {
            sb.append(rnd.nextInt(4) == 0 ? "<deny" : "<allow").append(" source=\"").append(rnd.nextInt(contexts + 1))
                    .append("\" target=\"").append(rnd.nextInt(contexts + 1)).append("\" permissions=\"")
                    .append(perms[rnd.nextInt(perms.length)].xmlName());
            Permission extra = perms[rnd.nextInt(perms.length)];
            if (rnd.nextBoolean() && !sb.toString().endsWith(extra.xmlName())) {
                sb.append(' ').append(extra.xmlName());
            }
            sb.append('"');
            if (rnd.nextInt(3) == 0) {
                int a = 1 + rnd.nextInt(nodes);
                int b = 1 + rnd.nextInt(nodes);
                sb.append(" source-nodes=\"").append(a).append(a == b ? "" : " " + b).append('"');
            }
            sb.append("/>\n");
        }
        return sb.append("</rules>\n</dsp>\n").toString();
    }

    /** The lookup of TABLE-FORMAT.md, done by scanning the records. */
    static boolean naive(CompiledTable t, int s, int n, int tgt, Permission p) {
        CompiledTable.Access any = null;
        for (CompiledTable.Access a : t.access()) {
            if (a.srcScid() == s && a.tgtScid() == tgt) {
                if (a.srcSnid() == n) {
                    return a.allows(p);
                }
                if (a.srcSnid() == SecurityIds.ANY) {
                    any = a;
                }
            }
        }
        return any != null ? any.allows(p) : (t.defaultAllowMask() & p.mask()) != 0;
    }

    @Test
    void agreesWithTheSpecifiedLookupOnRandomPolicies() throws Exception {
        Random rnd = new Random(42);
        for (int round = 0; round < 6; round++) {
            CompiledPolicy p = TestSupport.compile(randomPolicy(rnd, 12, 5, 150, round % 2 == 1));
            CompiledTable t = p.table();
            for (int i = 0; i < 20_000; i++) {
                int s = rnd.nextInt(14);
                int n = rnd.nextInt(7);
                int tgt = rnd.nextInt(14);
                Permission perm = Permission.values()[rnd.nextInt(6)];
                Decision d = p.decide(s, n, tgt, perm);
                assertEquals(naive(t, s, n, tgt, perm), d.allowed(), s + "@" + n + "->" + tgt + " " + perm);
                boolean audit = s % 7 == 0 && s > 0 && s <= 12 || tgt % 7 == 0 && tgt > 0 && tgt <= 12;
                assertEquals(!d.allowed() && audit, d.auditOnly(), d.toString());
                if (d.ruleId() != 0) {
                    assertEquals(p.rule(d.ruleId()).line(), d.ruleLine());
                    assertTrue(d.ruleLabel().endsWith("(line " + d.ruleLine() + ")"), d.ruleLabel());
                }
            }
        }
    }

    @Test
    void returnsSharedInstancesAndDoesNotAllocate() throws Exception {
        CompiledPolicy p = TestSupport.compileSample("virtual-zones.xml");
        assertSame(p.decide(10, 1, 10, Permission.SEND), p.decide(10, 2, 10, Permission.SEND));
        assertSame(p.decide(0, 0, 99, Permission.SEND), p.decide(5, 5, 6, Permission.SEND));
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] subjects = {0, 2, 10, 20, 30, 99};
        Permission[] perms = Permission.values();
        long sink = 0;
        for (int warm = 0; warm < 3; warm++) {
            for (int i = 0; i < 200_000; i++) {
                sink += p.decide(subjects[i % 6], i & 3, subjects[(i >> 3) % 6], perms[i % 6]).ruleId();
            }
        }
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (int i = 0; i < 1_000_000; i++) {
            sink += p.decide(subjects[i % 6], i & 3, subjects[(i >> 3) % 6], perms[i % 6]).ruleId();
        }
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(allocated < 100_000, "1M decisions allocated " + allocated + " bytes (sink " + sink + ")");
    }
}
