package org.opendsi.ss.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.opendsi.ss.PolicyPropagation;

/**
 * Times each node's first acknowledgement of the current policy version from the moment that
 * version became the Security Server's. Thread-safe.
 */
final class PropagationRecorder {

    static final List<Double> BOUNDS = List.of(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);

    private final long[] counts = new long[BOUNDS.size() + 1];
    private double sum;
    private long count;
    private long version;
    private Instant commandAt;
    private final Set<Integer> acked = new HashSet<>();

    /** Version {@code v} became current at {@code at}: acks of it are timed from then. */
    synchronized void started(long v, Instant at) {
        if (v > version) {
            version = v;
            commandAt = at;
            acked.clear();
        }
    }

    /** Node {@code snid} acknowledged version {@code v} at {@code at}; only its first ack of the current version counts. */
    synchronized void acked(int snid, long v, Instant at) {
        if (v != version || commandAt == null || !acked.add(snid)) {
            return;
        }
        double seconds = Math.max(0, Duration.between(commandAt, at).toNanos() / 1e9);
        int i = 0;
        while (i < BOUNDS.size() && seconds > BOUNDS.get(i)) {
            i++;
        }
        counts[i]++;
        sum += seconds;
        count++;
    }

    synchronized PolicyPropagation snapshot() {
        return new PolicyPropagation(BOUNDS, Arrays.stream(counts).boxed().toList(), sum, count);
    }
}
