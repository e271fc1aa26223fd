package org.opendsi.ss.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoredLabelKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label keys of a standby Security Server's own node. The active server sends it none (this node is
 * not one of its managers), so the standby derives the set from the store exactly as the active server
 * would — the stored epochs and send epoch, every member — installs it in this node's DSM when it
 * changes, and reports what the node holds; the active server's rotation takes that report as this
 * node's acknowledgement (see {@link LabelKeyNodes#serversRead}). Run every
 * {@link LabelKeyNodes#FOLLOW_PERIOD} on the standby's timer.
 */
final class StandbyLabelKeys implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyLabelKeys.class);
    private static final long REPORT_NANOS = 1_000_000_000L;

    private final NodeConfig cfg;
    private final SharedStore shared;
    private final LocalLabelKeys local;
    /** What the installed set was derived from (epoch numbers are never reused, so no secret is needed here). */
    private String installedFrom;
    private LabelKeysAck held;
    private long reportedAt;
    private boolean reported;

    StandbyLabelKeys(NodeConfig cfg, SharedStore shared, LocalLabelKeys local) {
        this.cfg = cfg;
        this.shared = shared;
        this.local = local;
    }

    @Override
    public void run() {
        try {
            follow();
        } catch (RuntimeException e) { // the store is away: the node keeps the keys it holds
            LOG.debug("Standby: this node's label keys not followed: {}", e.toString());
        }
    }

    void follow() {
        ServerStore store = shared.serverStore();
        List<ServerPeer> servers = shared.servers();
        Optional<StoredLabelKeys> stored = store.labelKeys();
        boolean changed = false;
        if (stored.isPresent() && !stored.get().epochs().isEmpty()) {
            StoredLabelKeys keys = stored.get();
            Set<Integer> members = LabelKeyNodes.members(cfg.snid(), store, servers);
            String from = keys.sendEpoch() + " " + keys.epochs().stream().map(StoredLabelKeys.Epoch::epoch).toList()
                    + " " + new TreeSet<>(members) + " " + System.identityHashCode(local.target());
            if (!from.equals(installedFrom)) {
                held = local.install(LabelKeyDerivation.setFor(keys.epochs(), keys.sendEpoch(), cfg.snid(), members));
                installedFrom = from;
                changed = true;
                LOG.info("Standby: this node's label keys taken from the store: send epoch {}, epochs {}, {} member "
                        + "node(s){}", held.sendEpoch(), held.epochs(), members.size(),
                        held.ok() ? "" : " (" + held.error() + ")");
            }
        }
        long now = System.nanoTime();
        if (changed || !reported || now - reportedAt >= REPORT_NANOS) {
            shared.report(held == null ? ServerPeer.self(cfg.snid(), cfg.name(), 0, List.of(), null)
                    : ServerPeer.self(cfg.snid(), cfg.name(), held.sendEpoch(), held.epochs(), held.error()));
            reportedAt = now;
            reported = true;
        }
    }
}
