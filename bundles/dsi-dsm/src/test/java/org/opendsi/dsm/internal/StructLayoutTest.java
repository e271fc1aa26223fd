package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.sun.jna.Native;

import org.junit.jupiter.api.Test;
import org.opendsi.dsm.internal.jna.AttachOpts;
import org.opendsi.dsm.internal.jna.CountersStruct;
import org.opendsi.dsm.internal.jna.EventStruct;

/**
 * The JNA Structures must have exactly the layouts of dsm.h: checked against values computed by
 * gcc from the header itself (sizeof/offsetof of every field), and against the x86_64 numbers.
 */
class StructLayoutTest {

    private static final Map<String, List<String>> FIELDS = Map.of(
            "dsm_attach_opts", List.of("snid", "flags", "cgroup_root", "pin_dir", "bpf_object", "ifaces", "netns_path"),
            "dsm_event", List.of("time_ns", "policy_version", "type", "permission", "src_scid", "src_snid", "tgt_scid",
                    "tgt_snid", "rule_id", "pid", "saddr", "daddr", "sport", "dport", "protocol", "pad", "suppressed",
                    "comm", "path"),
            "dsm_counters", List.of("policy_version", "packets_labeled", "packets_allowed", "packets_denied",
                    "packets_audit_only", "forged_labels", "local_denied", "execs_transitioned", "execs_denied",
                    "events_suppressed", "events_lost", "table_swaps", "labels_bad_mac", "labels_no_key",
                    "sealed_drops", "label_failed", "label_too_big", "execs_killed", "execs_dumpable", "port_guard_drops"),
            "dsm_label_key", List.of());

    private static Map<String, Integer> jna() {
        Map<String, Integer> m = new HashMap<>();
        AttachOpts a = new AttachOpts();
        EventStruct e = new EventStruct();
        CountersStruct c = new CountersStruct();
        m.put("sizeof dsm_attach_opts", a.size());
        m.put("sizeof dsm_event", e.size());
        m.put("sizeof dsm_counters", c.size());
        m.put("sizeof dsm_label_key", org.opendsi.dsm.internal.linux.LinuxDsm.LABEL_KEY_SIZE);
        for (String f : FIELDS.get("dsm_attach_opts")) {
            m.put("dsm_attach_opts." + f, a.offsetOf(f));
        }
        for (String f : FIELDS.get("dsm_event")) {
            m.put("dsm_event." + f, e.offsetOf(f));
        }
        for (String f : FIELDS.get("dsm_counters")) {
            m.put("dsm_counters." + f, c.offsetOf(f));
        }
        m.put("sizeof size_t", Native.SIZE_T_SIZE);
        return m;
    }

    @Test
    void sizesOnX86_64() {
        assumeTrue(Native.POINTER_SIZE == 8, "64-bit layout numbers; this JVM has " + Native.POINTER_SIZE
                + "-byte pointers");
        Map<String, Integer> m = jna();
        assertEquals(48, m.get("sizeof dsm_attach_opts"));
        assertEquals(216, m.get("sizeof dsm_event"));
        assertEquals(160, m.get("sizeof dsm_counters"));
        assertEquals(24, m.get("sizeof dsm_label_key"));
        assertEquals(60, m.get("dsm_event.protocol"));
        assertEquals(64, m.get("dsm_event.suppressed"));
        assertEquals(68, m.get("dsm_event.comm"));
        assertEquals(84, m.get("dsm_event.path"));
        assertEquals(40, m.get("dsm_attach_opts.netns_path"));
    }

    @Test
    void layoutsMatchTheHeaderCompiledByGcc() throws Exception {
        Optional<Path> gcc = Gcc.find();
        if (gcc.isEmpty()) {
            String why = "gcc not found on PATH: cannot compile dsm.h to compare layouts (apt-get install gcc)";
            System.out.println("SKIPPED layoutsMatchTheHeaderCompiledByGcc: " + why);
            assumeTrue(false, why);
        }
        Path header = Gcc.header();
        assumeTrue(Files.isRegularFile(header), "dsm.h not found at " + header);
        Path dir = Gcc.workDir("layout");
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"dsm.h\"\nint main(void) {\n");
        for (var e : FIELDS.entrySet()) {
            c.append("  printf(\"sizeof ").append(e.getKey()).append(" %zu\\n\", sizeof(struct ").append(e.getKey())
                    .append("));\n");
            for (String f : e.getValue()) {
                c.append("  printf(\"").append(e.getKey()).append('.').append(f).append(" %zu\\n\", offsetof(struct ")
                        .append(e.getKey()).append(", ").append(f).append("));\n");
            }
        }
        c.append("  printf(\"sizeof size_t %zu\\n\", sizeof(size_t));\n  return 0;\n}\n");
        Path src = dir.resolve("layout.c");
        Files.writeString(src, c);
        Path exe = dir.resolve("layout");
        Gcc.run(Gcc.cmd(gcc.get(), "-std=c11", "-Wall", "-Werror", "-I", header.getParent(), "-o", exe, src));
        String out = Gcc.run(Gcc.cmd(exe));
        Map<String, Integer> fromC = new HashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.lastIndexOf(' ');
            if (sp > 0) {
                fromC.put(line.substring(0, sp), Integer.parseInt(line.substring(sp + 1).trim()));
            }
        }
        Map<String, Integer> fromJna = jna();
        assertEquals(fromC.keySet(), fromJna.keySet());
        for (String k : fromC.keySet()) {
            assertEquals(fromC.get(k), fromJna.get(k), k + ": gcc says " + fromC.get(k) + ", JNA " + fromJna.get(k));
        }
    }
}
