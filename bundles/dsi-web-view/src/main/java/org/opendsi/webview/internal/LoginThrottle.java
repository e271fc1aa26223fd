package org.opendsi.webview.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Brute-force brake on the login form, per client address: the first {@link #FREE_FAILURES} failures
 * cost nothing; each further failure blocks that address for a delay that doubles (from
 * {@code base}, at most {@code cap}). A success clears the address. Remembers at most {@code max}
 * addresses (the least recently failing is forgotten first). Thread-safe.
 */
final class LoginThrottle {

    static final int FREE_FAILURES = 5;

    private record Entry(int failures, Instant blockedUntil, Instant lastFailure) {
    }

    private final Clock clock;
    private final Duration base;
    private final Duration cap;
    private final Duration forgetAfter;
    private final int max;
    private final LinkedHashMap<String, Entry> byAddress = new LinkedHashMap<>(16, 0.75f, true);

    LoginThrottle(Clock clock, Duration base, Duration cap, int max) {
        this.clock = clock;
        this.base = base;
        this.cap = cap;
        this.forgetAfter = cap.multipliedBy(2);
        this.max = max;
    }

    /** How long address must still wait before it may try again; zero when it may try now. */
    synchronized Duration retryAfter(String address) {
        Entry e = byAddress.get(address);
        if (e == null) {
            return Duration.ZERO;
        }
        Instant now = clock.instant();
        if (now.isAfter(e.lastFailure().plus(forgetAfter))) {
            byAddress.remove(address);
            return Duration.ZERO;
        }
        return now.isBefore(e.blockedUntil()) ? Duration.between(now, e.blockedUntil()) : Duration.ZERO;
    }

    /** Records a failed attempt; returns the delay now imposed on address (zero while still free). */
    synchronized Duration failed(String address) {
        Instant now = clock.instant();
        Entry e = byAddress.get(address);
        int failures = (e == null || now.isAfter(e.lastFailure().plus(forgetAfter)) ? 0 : e.failures()) + 1;
        Duration delay = Duration.ZERO;
        if (failures >= FREE_FAILURES) {
            int doublings = Math.min(failures - FREE_FAILURES, 30);
            delay = base.multipliedBy(1L << doublings);
            if (delay.compareTo(cap) > 0) {
                delay = cap;
            }
        }
        byAddress.put(address, new Entry(failures, now.plus(delay), now));
        while (byAddress.size() > max) {
            Iterator<String> lru = byAddress.keySet().iterator();
            lru.next();
            lru.remove();
        }
        return delay;
    }

    synchronized void succeeded(String address) {
        byAddress.remove(address);
    }

    synchronized int tracked() {
        return byAddress.size();
    }
}
