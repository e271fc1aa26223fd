package org.opendsi.ss;

import java.time.Instant;
import java.util.List;

/**
 * A Security Server sharing the store, as it last reported itself ({@link SharedStore#report}): the SnID
 * and name of its own node, which makes that node a member of the cluster's label keys, and — for a
 * standby, which takes its own node's keys from the store — the label keys that node holds, so that
 * the active server's rotation waits for it as it waits for a manager's acknowledgement.
 *
 * @param labelSendEpoch the epoch its node labels with (0: none reported)
 * @param labelEpochs    the epochs its node holds
 * @param labelError     why its node does not hold them in a kernel, or null
 * @param reportedAt     when it last reported (the store's clock)
 * @param live           whether that was recent enough to count it as running ({@link SharedStore#LIVE_SECONDS})
 */
public record ServerPeer(int snid, String name, int labelSendEpoch, List<Integer> labelEpochs, String labelError,
        Instant reportedAt, boolean live) {

    public ServerPeer {
        labelEpochs = List.copyOf(labelEpochs);
    }

    /** What a server reports about itself; the store sets the time and liveness. */
    public static ServerPeer self(int snid, String name, int labelSendEpoch, List<Integer> labelEpochs,
            String labelError) {
        return new ServerPeer(snid, name, labelSendEpoch, labelEpochs, labelError, null, true);
    }
}
