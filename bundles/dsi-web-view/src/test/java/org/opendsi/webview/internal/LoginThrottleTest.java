package org.opendsi.webview.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    private final SessionStoreTest.TestClock clock = new SessionStoreTest.TestClock();
    private final LoginThrottle throttle = new LoginThrottle(clock, Duration.ofSeconds(30), Duration.ofHours(1), 3);

    @Test
    void fiveFreeFailuresThenAGrowingDelay() {
        for (int i = 1; i <= 4; i++) {
            assertEquals(Duration.ZERO, throttle.failed("a"));
            assertEquals(Duration.ZERO, throttle.retryAfter("a"));
        }
        assertEquals(Duration.ofSeconds(30), throttle.failed("a"));
        assertEquals(Duration.ofSeconds(30), throttle.retryAfter("a"));
        assertEquals(Duration.ZERO, throttle.retryAfter("b"), "other addresses are not concerned");
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Duration.ofSeconds(20), throttle.retryAfter("a"));
        clock.advance(Duration.ofSeconds(20));
        assertEquals(Duration.ZERO, throttle.retryAfter("a"));
        assertEquals(Duration.ofSeconds(60), throttle.failed("a"));
        clock.advance(Duration.ofSeconds(60));
        assertEquals(Duration.ofSeconds(120), throttle.failed("a"));
        for (int i = 0; i < 20; i++) {
            clock.advance(Duration.ofHours(1));
            throttle.failed("a");
        }
        assertEquals(Duration.ofHours(1), throttle.retryAfter("a"), "capped");
    }

    @Test
    void successClearsAndOldFailuresAreForgotten() {
        for (int i = 0; i < 5; i++) {
            throttle.failed("a");
        }
        throttle.succeeded("a");
        assertEquals(Duration.ZERO, throttle.retryAfter("a"));
        for (int i = 0; i < 4; i++) {
            throttle.failed("b");
        }
        clock.advance(Duration.ofHours(3));
        assertEquals(Duration.ZERO, throttle.failed("b"), "failures of hours ago count no more");
    }

    @Test
    void rememberedAddressesAreBounded() {
        for (int i = 0; i < 100; i++) {
            throttle.failed("10.0.0." + i);
        }
        assertEquals(3, throttle.tracked());
    }
}
