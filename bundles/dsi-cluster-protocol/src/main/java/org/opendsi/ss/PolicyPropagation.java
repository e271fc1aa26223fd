package org.opendsi.ss;

import java.util.List;

/**
 * How long policy versions took to reach the nodes: from the moment a version became the Security
 * Server's (the operator's command) to each node's acknowledgement of it, as a histogram.
 *
 * @param upperBounds bucket upper bounds in seconds, ascending; the last bucket (+Inf) is implicit
 * @param counts      acknowledgements per bucket (not cumulative), one more than {@code upperBounds}
 * @param sumSeconds  sum of all observed times
 * @param count       acknowledgements observed
 */
public record PolicyPropagation(List<Double> upperBounds, List<Long> counts, double sumSeconds, long count) {
    public PolicyPropagation {
        upperBounds = List.copyOf(upperBounds);
        counts = List.copyOf(counts);
        if (counts.size() != upperBounds.size() + 1) {
            throw new IllegalArgumentException("one count per bucket and one for +Inf");
        }
    }
}
