package org.opendsi.ss.internal;

import java.util.List;
import java.util.function.Supplier;

import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.dsm.Dsm;
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

    /** The DSM keys go to now, or null: a different one needs them installed again. */
    Dsm target() {
        return dsm.get();
    }

    LabelKeysAck install(LabelKeySet set) {
        Dsm.LabelKeyInstall r = Dsm.installLabelKeys(dsm.get(), set.sendEpoch(), set.keys().stream()
                .map(k -> new Dsm.LabelKey(k.epoch(), k.peer(), k.key())).toList());
        if (r.inKernel()) {
            installed = set.epochs();
        } else {
            // the authority logs it (once per cause) with the acknowledgement
            LOG.debug("Label keys of this node (send epoch {}, epochs {}) not installed in its DSM: {}", set.sendEpoch(),
                    set.epochs(), r.why());
        }
        return new LabelKeysAck(set.sendEpoch(), r.inKernel() || r.checksNone() ? set.epochs() : installed, r.why());
    }
}
