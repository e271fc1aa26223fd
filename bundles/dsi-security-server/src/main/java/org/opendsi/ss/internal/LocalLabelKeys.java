package org.opendsi.ss.internal;

import java.util.List;
import java.util.function.Supplier;

import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label keys of the Security Server's own node (roles server and embedded): installed into this
 * node's DSM directly, acknowledged like a Security Manager does. Nothing to do while no DSM is bound.
 */
final class LocalLabelKeys {

    private static final Logger LOG = LoggerFactory.getLogger(LocalLabelKeys.class);

    private final Supplier<Dsm> dsm;
    /** Epochs the kernel holds since the last successful install. */
    private volatile List<Integer> installed = List.of();

    LocalLabelKeys(Supplier<Dsm> dsm) {
        this.dsm = dsm;
    }

    /** Whether this node has a DSM to hold its keys (available or not: an unavailable one says why). */
    boolean present() {
        return dsm.get() != null;
    }

    LabelKeysAck install(LabelKeySet set) {
        Dsm d = dsm.get();
        if (d == null) {
            return new LabelKeysAck(set.sendEpoch(), set.epochs(), "no DSM on this node");
        }
        try {
            if (!d.isAvailable()) {
                // audit-only node: it checks no label, so it drops nothing for want of a key
                return new LabelKeysAck(set.sendEpoch(), set.epochs(), "DSM unavailable: " + d.status().reason());
            }
            d.installLabelKeys(set.sendEpoch(), set.keys().stream()
                    .map(k -> new Dsm.LabelKey(k.epoch(), k.peer(), k.key())).toList());
            installed = set.epochs();
            return new LabelKeysAck(set.sendEpoch(), set.epochs(), null);
        } catch (DsmException e) {
            // the authority logs it (once per cause) with the acknowledgement
            LOG.debug("Label keys of this node (send epoch {}, epochs {}) not installed in its DSM: {}", set.sendEpoch(),
                    set.epochs(), e.getMessage());
            // a DSM that does not authenticate labels (or is unavailable) checks none: it is no laggard either
            boolean checksNone = e.unsupported() || e instanceof DsmUnavailableException;
            return new LabelKeysAck(set.sendEpoch(), checksNone ? set.epochs() : installed, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("Label keys of this node not installed in its DSM: {}", e.toString());
            return new LabelKeysAck(set.sendEpoch(), installed, "the DSM failed: " + e);
        }
    }
}
