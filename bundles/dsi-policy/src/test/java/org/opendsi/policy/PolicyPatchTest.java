package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PolicyPatchTest {

    @Test
    void smallEditOfASampleIsASmallPatchThatRebuildsTheExactBytes() throws Exception {
        byte[] base = Files.readAllBytes(Path.of("../../policy-samples/virtual-zones.xml"));
        byte[] next = new String(base, StandardCharsets.UTF_8)
                .replace("<deny source=\"10\" target=\"20\" permissions=\"all\"/>",
                        "<deny source=\"10\" target=\"20\" permissions=\"all\" name=\"no fraud\"/>")
                .getBytes(StandardCharsets.UTF_8);
        PolicyPatch patch = PolicyPatch.between(base, next);
        assertTrue(patch.worthIt(next.length), patch.toString());
        assertTrue(patch.middle().length < 40, patch.toString());
        assertArrayEquals(next, patch.apply(base));
    }

    @Test
    void randomEditsRoundTrip() {
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] base = new byte[r.nextInt(200)];
            r.nextBytes(base);
            byte[] next = base.clone();
            if (next.length > 0 && r.nextBoolean()) {
                next[r.nextInt(next.length)] ^= 1;
            } else {
                next = new byte[r.nextInt(200)];
                r.nextBytes(next);
            }
            assertArrayEquals(next, PolicyPatch.between(base, next).apply(base));
        }
    }

    @Test
    void refusesTheWrongBaseAndATamperedMiddle() {
        byte[] base = "<dsp>one</dsp>".getBytes(StandardCharsets.UTF_8);
        byte[] next = "<dsp>two</dsp>".getBytes(StandardCharsets.UTF_8);
        PolicyPatch p = PolicyPatch.between(base, next);
        assertThrows(IllegalArgumentException.class, () -> p.apply("<dsp>zero</dsp>".getBytes(StandardCharsets.UTF_8)));
        PolicyPatch tampered = new PolicyPatch(p.baseSha256(), p.keepHead(), p.keepTail(),
                "six".getBytes(StandardCharsets.UTF_8), p.resultSha256());
        assertThrows(IllegalArgumentException.class, () -> tampered.apply(base));
        assertFalse(PolicyPatch.between(base, next).worthIt(next.length));
    }
}
