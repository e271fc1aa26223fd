package org.opendsi.ss.internal;

import java.time.Duration;
import java.util.Map;

import org.opendsi.cluster.protocol.NodeConfig;

/**
 * How the Security Server rotates label keys, from its configuration PID {@value NodeConfig#PID}:
 * {@code label.keys.rotate.hours} (24; 0 = only on demand and after a compromise),
 * {@code label.keys.ack.timeout.seconds} (10: how long a rotation waits for every connected node to
 * hold the new epoch before labels switch to it anyway), {@code label.keys.grace.seconds} (5: how
 * long the previous epoch is still accepted after the switch).
 */
record LabelKeySettings(Duration rotateEvery, Duration ackTimeout, Duration grace) {

    static final LabelKeySettings DEFAULTS = new LabelKeySettings(Duration.ofHours(24), Duration.ofSeconds(10),
            Duration.ofSeconds(5));

    LabelKeySettings {
        if (rotateEvery.isNegative() || ackTimeout.isNegative() || ackTimeout.isZero() || grace.isNegative()) {
            throw new IllegalArgumentException("label key durations must be positive (rotation: zero = never)");
        }
    }

    /** Whether keys rotate on a schedule. */
    boolean scheduled() {
        return !rotateEvery.isZero();
    }

    static LabelKeySettings from(Map<String, ?> p) {
        return new LabelKeySettings(Duration.ofHours(num(p, "label.keys.rotate.hours", 24, 0, 24 * 366)),
                Duration.ofSeconds(num(p, "label.keys.ack.timeout.seconds", 10, 1, 3600)),
                Duration.ofSeconds(num(p, "label.keys.grace.seconds", 5, 0, 3600)));
    }

    private static long num(Map<String, ?> p, String k, long def, long min, long max) {
        Object v = p == null ? null : p.get(k);
        if (v == null || v.toString().isBlank()) {
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(NodeConfig.PID + ": " + k + " = '" + v + "' is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(NodeConfig.PID + ": " + k + " = " + v + " is outside [" + min + ", "
                    + max + "]");
        }
        return n;
    }
}
