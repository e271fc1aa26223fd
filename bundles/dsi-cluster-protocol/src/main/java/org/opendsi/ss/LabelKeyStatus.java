package org.opendsi.ss;

import java.time.Instant;
import java.util.List;

/**
 * The label keys as the Security Server hands them out ({@link SecurityServer#labelKeys()}): epochs
 * held and, per node, what it acknowledged holding. No key material.
 *
 * @param sendEpoch     the epoch whose keys nodes label with (0: none yet)
 * @param epochs        the epochs held, ascending (at most two)
 * @param nodes         every member node (this Security Server's own node included), by SnID
 * @param rotating      whether a rotation is under way
 * @param queued        whether another rotation waits for it
 * @param nextRotation  when the next scheduled rotation starts, null when none is scheduled
 */
public record LabelKeyStatus(int sendEpoch, List<Epoch> epochs, List<Node> nodes, boolean rotating, boolean queued,
                             Instant nextRotation) {

    public LabelKeyStatus {
        epochs = List.copyOf(epochs);
        nodes = List.copyOf(nodes);
    }

    /** Where an epoch stands in a rotation. */
    public enum EpochState {
        /** Created and handed out; nodes accept it but do not label with it yet. */
        DISTRIBUTING,
        /** The send epoch: labels are written with it. */
        SENDING,
        /** Replaced as send epoch; still accepted for a grace period, then dropped. */
        RETIRING
    }

    public record Epoch(int epoch, Instant created, boolean send, EpochState state) {
    }

    /**
     * One node's label keys as it acknowledged them.
     *
     * @param snid          the node
     * @param connected     whether the node is connected now (this Security Server's own node: whether it has a DSM)
     * @param ackedSendEpoch send epoch of the last set it acknowledged (0: none yet)
     * @param epochs        epochs it said it holds
     * @param ackedAt       when it acknowledged, null if never
     * @param error         why its kernel does not hold them, null when it does
     */
    public record Node(int snid, boolean connected, int ackedSendEpoch, List<Integer> epochs, Instant ackedAt,
                       String error) {
        public Node {
            epochs = List.copyOf(epochs);
        }
    }
}
