package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicBoolean;

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
        String token = t.create(Duration.ofMinutes(10), 1, "colby", false);
        assertTrue(token.startsWith("dsi-"));
        assertEquals(32, Base64.getUrlDecoder().decode(token.substring(4)).length, "256 random bits");
        assertNotEquals(token, t.create(Duration.ofMinutes(10), 1, "colby", false));
        String file = Files.readString(tmp.resolve("join-tokens"));
        assertFalse(file.contains(token.substring(4)), "the token itself is never stored");
        assertEquals("rw-------", Fixture.perms(tmp.resolve("join-tokens")));

        assertEquals(new JoinTokens.Redeemed("colby", 1, false, clock.instant(), clock.instant().plus(Duration.ofMinutes(10))),
                t.redeem(token, 1, "colby"));
        JoinTokenException again = assertThrows(JoinTokenException.class, () -> t.redeem(token, 1, "n"));
        assertEquals(JoinTokenException.Reason.ALREADY_USED, again.reason());
        assertTrue(again.getMessage().contains("already used"), again.getMessage());

        // a restart does not make it valid again
        JoinTokenException afterRestart = assertThrows(JoinTokenException.class, () -> tokens().redeem(token, 1, "n"));
        assertEquals(JoinTokenException.Reason.ALREADY_USED, afterRestart.reason());
    }

    @Test
    void pendingTokenSurvivesRestart() {
        String token = tokens().create(Duration.ofMinutes(10), 1, "", false);
        assertEquals(1, tokens().pendingCount());
        tokens().redeem(token, 1, "n");
        assertEquals(0, tokens().pendingCount());
    }

    @Test
    void expiredTokenIsRefused() {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(10), 1, "", false);
        clock.advance(Duration.ofMinutes(10));
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> t.redeem(token, 1, "n"));
        assertEquals(JoinTokenException.Reason.EXPIRED, e.reason());
        assertTrue(e.getMessage().contains("expired"), e.getMessage());

        String ok = t.create(Duration.ofMinutes(10), 1, "", false);
        clock.advance(Duration.ofMinutes(9).plusSeconds(59));
        t.redeem(ok, 1, "n");
    }

    @Test
    void aTokenThatExpiresBetweenItsCheckAndItsUseStaysUnused() {
        // every reading of this clock moves it on by the token's whole lifetime, once armed: the check
        // inside redeem sees a valid token, the redemption that follows sees it expired
        AtomicBoolean armed = new AtomicBoolean();
        Clock racing = new Clock() {
            @Override
            public ZoneId getZone() {
                return clock.getZone();
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                Instant now = clock.instant();
                if (armed.get()) {
                    clock.advance(Duration.ofMinutes(10));
                }
                return now;
            }
        };
        JoinTokens t = new JoinTokens(tmp.resolve("join-tokens"), racing);
        String token = t.create(Duration.ofMinutes(10), 1, "", false);
        armed.set(true);
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> t.redeem(token, 1, "n"));
        assertEquals(JoinTokenException.Reason.EXPIRED, e.reason(), e.getMessage());
        assertNull(t.list().get(0).usedAt(), "not marked used");
    }

    @Test
    void unknownAndMalformedTokensAreRefused() {
        JoinTokens t = tokens();
        t.create(Duration.ofMinutes(10), 1, "", false);
        String forged = "dsi-" + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> t.redeem(forged, 1, "n"));
        assertEquals(JoinTokenException.Reason.UNKNOWN, e.reason());
        assertEquals(JoinTokenException.Reason.UNKNOWN, assertThrows(JoinTokenException.class, () -> t.redeem("x", 1, "n")).reason());
        assertEquals(JoinTokenException.Reason.UNKNOWN, assertThrows(JoinTokenException.class, () -> t.redeem(null, 1, "n")).reason());
    }

    @Test
    void recordsArePurgedLongAfterExpiry() {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(1), 1, "", false);
        clock.advance(JoinTokens.RETENTION.plusDays(1));
        t.create(Duration.ofMinutes(1), 1, "", false); // purges
        assertEquals(JoinTokenException.Reason.UNKNOWN,
                assertThrows(JoinTokenException.class, () -> t.redeem(token, 1, "n")).reason());
    }

    @Test
    void badTtlIsRefused() {
        JoinTokens t = tokens();
        assertThrows(IllegalArgumentException.class, () -> t.create(Duration.ZERO, 1, "", false));
        assertThrows(IllegalArgumentException.class, () -> t.create(Duration.ofDays(31), 1, "", false));
    }

    @Test
    void joinWithBadRequestDoesNotBurnTheToken(@TempDir Path other) {
        Fixture f = new Fixture(other);
        String token = f.ca.joinTokens().create(Duration.ofMinutes(5), 1, "", false);
        NodeKeys node = new NodeKeys(f.settings(other.resolve("n")));
        JoinRequest good = node.prepareJoin("colby");
        byte[] bad = good.nodeCaCsr();
        bad[bad.length - 2] ^= 1;
        assertThrows(PkiException.class, () -> f.ca.join(token, new JoinRequest("colby", bad, good.channelCsr()), 1));
        f.ca.join(token, good, 1);
        assertEquals(JoinTokenException.Reason.ALREADY_USED,
                assertThrows(JoinTokenException.class, () -> f.ca.join(token, good, 1)).reason());
    }

    @Test
    void aTokenJoinsOnlyTheNodeItWasCreatedForAndIsNotUsedUpByAnotherClaim() {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(10), 3, "munster", false);
        JoinTokenException otherSnid = assertThrows(JoinTokenException.class, () -> t.redeem(token, 2, "munster"));
        assertEquals(JoinTokenException.Reason.WRONG_NODE, otherSnid.reason());
        assertTrue(otherSnid.getMessage().contains("it is for SnID 3 named 'munster', not for SnID 2"), otherSnid.getMessage());
        assertEquals(JoinTokenException.Reason.WRONG_NODE,
                assertThrows(JoinTokenException.class, () -> t.redeem(token, 3, "colby")).reason());
        assertEquals(1, t.pendingCount(), "a wrong claim does not burn the token");
        assertEquals(3, t.redeem(token, 3, "munster").snid());

        String anyName = t.create(Duration.ofMinutes(10), 4, "", true);
        JoinTokens.Redeemed r = tokens().redeem(anyName, 4, "whatever"); // and it survived a restart, bound
        assertTrue(r.replace());
        assertThrows(IllegalArgumentException.class, () -> t.create(Duration.ofMinutes(1), 0, "", false));
        assertThrows(IllegalArgumentException.class, () -> t.create(Duration.ofMinutes(1), 65535, "", false));
    }

    @Test
    void aTokenOfAnOlderVersionBoundToNoNodeIsRefused() throws Exception {
        JoinTokens t = tokens();
        String token = t.create(Duration.ofMinutes(10), 1, "", false);
        // rewrite its record the way versions before node binding stored it (5 fields)
        String file = Files.readString(tmp.resolve("join-tokens"));
        Files.writeString(tmp.resolve("join-tokens"), file.replaceAll("(?m)^([0-9a-f]{64} \\S+ \\S+ \\S+ \\S*) 1 -$", "$1"));
        JoinTokenException e = assertThrows(JoinTokenException.class, () -> tokens().redeem(token, 1, ""));
        assertEquals(JoinTokenException.Reason.WRONG_NODE, e.reason());
        assertTrue(e.getMessage().contains("bound to no node"), e.getMessage());
    }

    @Test
    void aSnidWithLiveCertificatesIsReplacedOnlyExplicitlyAndItsCertificatesAreRevokedFirst(@TempDir Path other) {
        Fixture f = new Fixture(other);
        NodeKeys first = f.join(2, "colby");
        NodeKeys second = new NodeKeys(f.settings(other.resolve("second")));
        String plain = f.ca.joinTokens().create(Duration.ofMinutes(5), 2, "", false);
        JoinTokenException e = assertThrows(JoinTokenException.class,
                () -> f.ca.join(plain, second.prepareJoin("impostor"), 2));
        assertEquals(JoinTokenException.Reason.NODE_EXISTS, e.reason());
        assertTrue(e.getMessage().contains("belongs to node 'colby'") && e.getMessage().contains("--replace"), e.getMessage());
        assertEquals(1, f.ca.joinTokens().pendingCount(), "the refused join did not burn the token");
        assertTrue(f.ca.current().stream().noneMatch(c -> c.snid() == 2 && c.revoked()));

        String replace = f.ca.joinTokens().create(Duration.ofMinutes(5), 2, "colby2", true);
        NodeCertificates certs = f.ca.join(replace, second.prepareJoin("colby2"), 2);
        assertTrue(f.ca.isRevoked(first.channelCertificate().getSerialNumber()), "the old channel certificate is revoked");
        assertTrue(f.ca.isRevoked(first.nodeCaCertificate().getSerialNumber()), "the old node CA is revoked");
        assertTrue(f.ca.crl().isRevoked(first.channelCertificate()), "and on the CRL");
        assertFalse(f.ca.isRevoked(certs.channel().getSerialNumber()));
    }
}
