package org.opendsi.sm;

import java.time.Instant;
import java.util.List;

/**
 * The label keys this Security Manager last received from the Security Server (no key material).
 *
 * @param sendEpoch   the epoch labels are written with (0: no set received yet)
 * @param epochs      the epochs of the set, ascending
 * @param peers       the SnIDs this node shares keys with (its own included), ascending
 * @param receivedAt  when the set arrived (or was reloaded at start), null if never
 * @param installed   whether the kernel DSM holds this set
 * @param error       why it does not (DSM unavailable, refused), null when it does
 */
public record ManagerLabelKeys(int sendEpoch, List<Integer> epochs, List<Integer> peers, Instant receivedAt,
                               boolean installed, String error) {
    public ManagerLabelKeys {
        epochs = List.copyOf(epochs);
        peers = List.copyOf(peers);
    }
}
