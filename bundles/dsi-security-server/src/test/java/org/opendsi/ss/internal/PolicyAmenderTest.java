package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;

class PolicyAmenderTest {

    @Test
    void marksTheNodeCompromisedSoItLeavesTheNodeTable() throws Exception {
        byte[] src = Files.readAllBytes(Path.of("../../policy-samples/virtual-zones.xml"));
        byte[] out = PolicyAmender.markCompromised(src, 2);
        CompiledPolicy p = DspCompiler.compile("amended", out);
        assertEquals(1, p.table().nodes().size());
        assertEquals(1, p.table().nodes().get(0).snid());
        String s = new String(out, StandardCharsets.UTF_8);
        assertEquals(s, new String(PolicyAmender.markCompromised(out, 2), StandardCharsets.UTF_8), "idempotent");
        assertNull(PolicyAmender.markCompromised(src, 9), "not named in the policy");
        String withFalse = new String(src, StandardCharsets.UTF_8).replace("address=\"10.77.0.1\"/>",
                "address=\"10.77.0.1\" compromised='false' />");
        CompiledPolicy q = DspCompiler.compile("x", PolicyAmender.markCompromised(withFalse.getBytes(StandardCharsets.UTF_8), 1));
        assertEquals(1, q.table().nodes().size());
        assertEquals(2, q.table().nodes().get(0).snid());
    }
}
