package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokensTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.now();

    private JoinTokens tokens() {
        return new JoinTokens(tmp.resolve("join-tokens"), clock);
    }

    @Test
    void tokenIsRandomOneTimeAndStoredOnlyAsHash() throws Exception {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(10), "colby");
        assertTrue(token.startsWith("dsi-"));
        assertEquals(32, Base64.getUrlDecoder().decode(token.substring(4)).length, "256 random bits");
        assertNotEquals(token, t.create(Duration.ofMinutes(10)));
        String file = Files.readString(tmp.resolve("join-tokens"));
        assertFalse(file.contains(token.substring(4)), "the token itself is never stored");
        assertEquals("rw-------", Fixture.perms(tmp.resolve("join-tokens")));

        assertEquals("colby", t.redeem(token).label());
        JoinTokenException again = assertThrows(JoinTokenException.class, () -> t.redeem(token));
        assertEquals(JoinTokenException.Reason.ALREADY_USED, again.reason());
        assertTrue(again.getMessage().contains("already used"), again.getMessage());

        // a restart does not make it valid again
        JoinTokenException afterRestart = assertThrows(JoinTokenException.class, () -> tokens().redeem(token));
        assertEquals(JoinTokenException.Reason.ALREADY_USED, afterRestart.reason());
    }

    @Test
    void pendingTokenSurvivesRestart() {
        String token = tokens().create(Duration.ofMinutes(10));
        assertEquals(1, tokens().pendingCount());
        tokens().redeem(token);
        assertEquals(0, tokens().pendingCount());
    }

    @Test
    void expiredTokenIsRefused() {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(10));
        clock.advance(Duration.ofMinutes(10));
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> t.redeem(token));
        assertEquals(JoinTokenException.Reason.EXPIRED, e.reason());
        assertTrue(e.getMessage().contains("expired"), e.getMessage());

        String ok = t.create(Duration.ofMinutes(10));
        clock.advance(Duration.ofMinutes(9).plusSeconds(59));
        t.redeem(ok);
    }

    @Test
    void unknownAndMalformedTokensAreRefused() {
        JoinTokens t = tokens();
        t.create(Duration.ofMinutes(10));
        String forged = "dsi-" + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> t.redeem(forged));
        assertEquals(JoinTokenException.Reason.UNKNOWN, e.reason());
        assertEquals(JoinTokenException.Reason.UNKNOWN, assertThrows(JoinTokenException.class, () -> t.redeem("x")).reason());
        assertEquals(JoinTokenException.Reason.UNKNOWN, assertThrows(JoinTokenException.class, () -> t.redeem(null)).reason());
    }

    @Test
    void recordsArePurgedLongAfterExpiry() {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(1));
        clock.advance(JoinTokens.RETENTION.plusDays(1));
        t.create(Duration.ofMinutes(1)); // purges
        assertEquals(JoinTokenException.Reason.UNKNOWN,
                assertThrows(JoinTokenException.class, () -> t.redeem(token)).reason());
    }

    @Test
    void badTtlIsRefused() {
        JoinTokens t = tokens();
        assertThrows(IllegalArgumentException.class, () -> t.create(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> t.create(Duration.ofDays(31)));
    }

    @Test
    void joinWithBadRequestDoesNotBurnTheToken(@TempDir Path other) {
        Fixture f = new Fixture(other);
        String token = f.ca.joinTokens().create(Duration.ofMinutes(5));
        NodeKeys node = new NodeKeys(f.settings(other.resolve("n")));
        JoinRequest good = node.prepareJoin("colby");
        byte[] bad = good.nodeCaCsr();
        bad[bad.length - 2] ^= 1;
        assertThrows(PkiException.class, () -> f.ca.join(token, new JoinRequest("colby", bad, good.channelCsr()), 1));
        f.ca.join(token, good, 1);
        assertEquals(JoinTokenException.Reason.ALREADY_USED,
                assertThrows(JoinTokenException.class, () -> f.ca.join(token, good, 1)).reason());
    }
}
