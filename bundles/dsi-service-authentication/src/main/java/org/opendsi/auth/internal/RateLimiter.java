package org.opendsi.auth.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/** At most {@code max} requests per pid in any sliding {@code windowNanos}; bounded memory. */
final class RateLimiter {

    private static final int MAX_TRACKED = 4096;

    private final int max;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final Map<Integer, Deque<Long>> seen = new HashMap<>();

    RateLimiter(int max, long windowNanos, LongSupplier nanoTime) {
        this.max = max;
        this.windowNanos = windowNanos;
        this.nanoTime = nanoTime;
    }

    /** Records a request of {@code pid}; false when it exceeds the limit (the refused request is not counted). */
    synchronized boolean tryAcquire(int pid) {
        long now = nanoTime.getAsLong();
        if (seen.size() >= MAX_TRACKED) {
            purge(now);
        }
        Deque<Long> q = seen.computeIfAbsent(pid, k -> new ArrayDeque<>());
        while (!q.isEmpty() && now - q.peekFirst() >= windowNanos) {
            q.removeFirst();
        }
        if (q.size() >= max) {
            return false;
        }
        if (seen.size() > MAX_TRACKED) {
            // every tracked pid is active: refuse newcomers rather than grow without bound
            seen.remove(pid);
            return false;
        }
        q.addLast(now);
        return true;
    }

    private void purge(long now) {
        for (Iterator<Deque<Long>> it = seen.values().iterator(); it.hasNext();) {
            Deque<Long> q = it.next();
            while (!q.isEmpty() && now - q.peekFirst() >= windowNanos) {
                q.removeFirst();
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
    }

    int max() {
        return max;
    }
}
