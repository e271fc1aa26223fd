package org.opendsi.bench;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generates large valid DSPs for benchmarks: contexts 1..C, nodes 1..N, socket labels, and R
 * allow/deny rules between random context pairs (a third of them restricted to source nodes),
 * with a fixed seed so every run measures the same policy.
 */
public final class PolicyGenerator {

    private static final String[] PERMS = {"create", "bind", "connect", "send", "receive", "transition"};

    private PolicyGenerator() {
    }

    public static byte[] generate(int contexts, int nodes, int rules, long seed) {
        Random rnd = new Random(seed);
        StringBuilder sb = new StringBuilder(128 + rules * 96 + contexts * 64 + nodes * 64);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"generated-").append(rules).append("\">\n");
        sb.append("  <default decision=\"deny\" external=\"allow\"/>\n  <nodes>\n");
        for (int n = 1; n <= nodes; n++) {
            sb.append("    <node snid=\"").append(n).append("\" name=\"node").append(n).append("\" address=\"10.")
                    .append(n >> 16 & 255).append('.').append(n >> 8 & 255).append('.').append(n & 255).append("\"/>\n");
        }
        sb.append("  </nodes>\n  <contexts>\n");
        for (int c = 1; c <= contexts; c++) {
            sb.append("    <context scid=\"").append(c).append("\" name=\"ctx").append(c).append('"')
                    .append(c % 50 == 0 ? " mode=\"audit\"" : "").append("/>\n");
        }
        sb.append("  </contexts>\n  <socket-labels>\n");
        for (int c = 1; c <= Math.min(contexts, 20000); c++) {
            sb.append("    <socket protocol=\"udp\" port=\"").append(20000 + c % 40000).append("\" scid=\"").append(c)
                    .append("\"/>\n");
        }
        sb.append("  </socket-labels>\n  <rules>\n");
        for (int i = 0; i < rules; i++) {
            boolean deny = rnd.nextInt(8) == 0;
            sb.append(deny ? "    <deny" : "    <allow").append(" source=\"").append(1 + rnd.nextInt(contexts))
                    .append("\" target=\"").append(1 + rnd.nextInt(contexts)).append("\" permissions=\"");
            int a = rnd.nextInt(PERMS.length);
            int b = rnd.nextInt(PERMS.length);
            sb.append(PERMS[a]);
            if (b != a) {
                sb.append(' ').append(PERMS[b]);
            }
            sb.append('"');
            if (rnd.nextInt(3) == 0) {
                int n1 = 1 + rnd.nextInt(nodes);
                int n2 = 1 + rnd.nextInt(nodes);
                sb.append(" source-nodes=\"").append(n1).append(n1 == n2 ? "" : " " + n2).append('"');
            }
            sb.append("/>\n");
        }
        sb.append("  </rules>\n</dsp>\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
