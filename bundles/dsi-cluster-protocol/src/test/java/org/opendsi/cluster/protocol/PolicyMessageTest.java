package org.opendsi.cluster.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.Credentials;

class PolicyMessageTest {

    @TempDir
    Path tmp;

    @Test
    void patchWhenTheBaseIsKnownAndSmallFullOtherwise() throws Exception {
        byte[] base = Files.readAllBytes(Path.of("../../policy-samples/virtual-zones.xml"));
        byte[] next = new String(base, StandardCharsets.UTF_8).replace("name=\"munster\" address=\"10.77.0.2\"",
                "name=\"munster\" address=\"10.77.0.2\" compromised=\"true\"").getBytes(StandardCharsets.UTF_8);
        Credentials ss = new Fixture(tmp).server();
        SignedPolicy env = PolicySignatures.sign("dsi", 5, next, "d", "virtual-zones", ss.privateKey(), ss.chain());

        PolicyMessage patch = PolicyMessage.choose(env, next, 4, base);
        assertTrue(patch.isPatch());
        PolicyMessage back = PolicyMessage.fromJson(Json.parse(Json.bytes(patch.toJson())));
        assertTrue(back.isPatch());
        assertArrayEquals(next, back.source(base));
        assertTrue(Json.bytes(patch.toJson()).length < next.length, "the patch is smaller than the source");

        assertFalse(PolicyMessage.choose(env, next, 0, null).isPatch(), "unknown base: full");
        assertFalse(PolicyMessage.choose(env, next, 4, null).isPatch(), "base not held any more: full");
        byte[] unrelated = "<dsp/>".getBytes(StandardCharsets.UTF_8);
        assertFalse(PolicyMessage.choose(env, next, 4, unrelated).isPatch(), "patch not worth it: full");

        byte[] otherBase = base.clone();
        otherBase[5] = 'x';
        assertThrows(IllegalArgumentException.class, () -> back.source(otherBase), "a node holding another base must ask for a snapshot");
        PolicyMessage full = PolicyMessage.fromJson(Json.parse(Json.bytes(PolicyMessage.full(env, next).toJson())));
        assertArrayEquals(next, full.source(null));
    }

    @Test
    void tokenFormat() {
        String fp = "ab".repeat(32);
        JoinToken t = JoinToken.parse("dsi-abc_DEF-123." + fp);
        assertTrue(t.secret().equals("dsi-abc_DEF-123") && t.rootFingerprint().equals(fp));
        assertThrows(IllegalArgumentException.class, () -> JoinToken.parse("dsi-abc"));
        assertThrows(IllegalArgumentException.class, () -> JoinToken.parse("dsi-abc.1234"));
    }
}
