package org.opendsi.webview.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class SessionStoreTest {

    /** A clock the test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2025-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final TestClock clock = new TestClock();
    private final SessionStore store = new SessionStore(clock, Duration.ofMinutes(30), Duration.ofHours(8), 4);

    @Test
    void tokensAre256RandomBitsAndOnlyTheirHashIsKept() {
        Set<String> seen = new HashSet<>();
        SessionStore big = new SessionStore(clock, Duration.ofMinutes(30), Duration.ofHours(8), 5000);
        for (int i = 0; i < 2000; i++) {
            String t = big.create("admin", Set.of("admin"));
            assertEquals(43, t.length());
            assertEquals(32, Base64.getUrlDecoder().decode(t).length);
            assertTrue(seen.add(t), "tokens never repeat");
        }
        String t = store.create("admin", Set.of("admin"));
        SessionStore.Session s = store.touch(t).orElseThrow();
        assertEquals("admin", s.user());
        assertEquals(SessionStore.hash(t), s.key());
        assertNotEquals(t, s.key());
    }

    @Test
    void unknownOrMalformedTokensHaveNoSession() {
        store.create("admin", Set.of("admin"));
        assertTrue(store.touch(null).isEmpty());
        assertTrue(store.touch("").isEmpty());
        assertTrue(store.touch("x".repeat(43)).isEmpty());
        assertTrue(store.touch("x".repeat(5000)).isEmpty());
    }

    @Test
    void idleExpiryIsPushedBackByUse() {
        String t = store.create("u", Set.of("viewer"));
        clock.advance(Duration.ofMinutes(29));
        assertTrue(store.touch(t).isPresent());
        clock.advance(Duration.ofMinutes(29));
        assertTrue(store.touch(t).isPresent(), "used 29 min ago");
        clock.advance(Duration.ofMinutes(29));
        assertTrue(store.peek(t).isPresent());
        clock.advance(Duration.ofMinutes(1));
        assertTrue(store.peek(t).isEmpty(), "peek does not count as use: 30 min idle");
        assertTrue(store.touch(t).isEmpty());
    }

    @Test
    void absoluteExpiryWhateverTheUse() {
        String t = store.create("u", Set.of("viewer"));
        for (int i = 0; i < 8 * 4 - 1; i++) {
            clock.advance(Duration.ofMinutes(15));
            assertTrue(store.touch(t).isPresent(), "at " + (i + 1) * 15 + " min");
        }
        clock.advance(Duration.ofMinutes(15));
        assertTrue(store.touch(t).isEmpty(), "8 h after login");
    }

    @Test
    void logoutInvalidates() {
        String t = store.create("u", Set.of("viewer"));
        String other = store.create("v", Set.of("viewer"));
        assertTrue(store.invalidate(t));
        assertTrue(store.touch(t).isEmpty());
        assertFalse(store.invalidate(t));
        assertTrue(store.touch(other).isPresent());
        store.clear();
        assertTrue(store.touch(other).isEmpty());
    }

    @Test
    void boundedLeastRecentlyUsedGoesFirst() {
        String a = store.create("a", Set.of());
        String b = store.create("b", Set.of());
        String c = store.create("c", Set.of());
        String d = store.create("d", Set.of());
        store.touch(a);                       // b is now the least recently used
        String e = store.create("e", Set.of());
        assertEquals(4, store.size());
        assertTrue(store.touch(b).isEmpty());
        for (String t : new String[] {a, c, d, e}) {
            assertTrue(store.touch(t).isPresent());
        }
    }
}
