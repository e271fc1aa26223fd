package org.opendsi.api.audit;

import java.util.Optional;

/**
 * Where the auditing service anchors its journal off the node: the Security Manager signs each
 * checkpoint with the node's channel key and stores it on the Security Server, which raises an
 * alarm when a node's journal goes back (a cut tail, a deleted file, a rewritten chain). Registered
 * by the Security Manager; the auditing service uses it when present.
 */
public interface AuditAnchor {

    /** Hands the newest checkpoint over; never blocks (a newer one replaces one not delivered yet). */
    void checkpoint(AuditCheckpoint checkpoint);

    /**
     * The newest checkpoint of this node the Security Server confirmed storing (also learned from
     * the Security Server after a restart); empty when none is known.
     */
    Optional<AuditCheckpoint> anchored();
}
