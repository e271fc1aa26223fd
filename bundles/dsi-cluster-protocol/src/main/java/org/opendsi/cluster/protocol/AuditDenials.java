package org.opendsi.cluster.protocol;

import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows this node's auditing service (bound and unbound at any time) into a {@link DenialDigest}:
 * every denial journaled from now on, until {@link #close()}. The Security Manager sends the digest to
 * the Security Server; the Security Server's own node adds it to the cluster's view directly.
 */
public final class AuditDenials implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditDenials.class);
    private static final AuditQuery DENIALS = new AuditQuery(true, null, null, null, 0);

    private final DenialDigest digest;
    private final java.util.function.Consumer<org.opendsi.api.audit.AuditRecord> sink;
    private AuditService followed;
    private AutoCloseable following;

    /** Denials go into a {@link #digest()}. */
    public AuditDenials() {
        this.digest = new DenialDigest();
        this.sink = digest::add;
    }

    /** Denials go to {@code sink}, on the journal's writer thread (return quickly); no digest. */
    public AuditDenials(java.util.function.Consumer<org.opendsi.api.audit.AuditRecord> sink) {
        this.digest = null;
        this.sink = sink;
    }

    /** The digest the denials go into (null when a sink was given). */
    public DenialDigest digest() {
        return digest;
    }

    public synchronized void bind(AuditService audit) {
        stop();
        followed = audit;
        try {
            following = audit.follow(DENIALS, sink);
        } catch (RuntimeException e) {
            LOG.warn("Cannot follow the auditing service's denials: {}", e.toString());
        }
    }

    public synchronized void unbind(AuditService audit) {
        if (followed == audit) {
            stop();
        }
    }

    @Override
    public synchronized void close() {
        stop();
    }

    private void stop() {
        followed = null;
        if (following != null) {
            try {
                following.close();
            } catch (Exception e) {
                LOG.debug("closing the denial follower", e);
            }
            following = null;
        }
    }
}
