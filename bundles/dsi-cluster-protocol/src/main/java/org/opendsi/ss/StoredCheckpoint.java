package org.opendsi.ss;

import java.time.Instant;

import org.opendsi.api.audit.AuditCheckpoint;

/**
 * The newest audit checkpoint a node anchored on the Security Server, with the node's signature
 * (base64) over it and when it arrived. Only a higher checkpoint replaces it: a journal that went
 * back stays evident.
 */
public record StoredCheckpoint(AuditCheckpoint checkpoint, String signature, Instant receivedAt) {
}
