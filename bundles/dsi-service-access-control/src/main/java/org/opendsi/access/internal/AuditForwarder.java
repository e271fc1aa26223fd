package org.opendsi.access.internal;

import java.time.Instant;
import java.util.ArrayDeque;

import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.audit.ServiceAuditEvent;
import org.opendsi.api.service.SecurityServices;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access control's dependency on auditing, wired dynamically: what access control does to the
 * kernel (tables loaded, binaries labeled) goes to the auditing service when one is bound; while
 * none is (auditing stopped, being updated or not installed) the events wait here, the oldest
 * dropped beyond {@code max} and counted, and are handed over in order when auditing comes back,
 * preceded by a note of how many were dropped. Thread-safe.
 */
final class AuditForwarder {

    private static final Logger LOG = LoggerFactory.getLogger(AuditForwarder.class);

    private final ArrayDeque<ServiceAuditEvent> waiting = new ArrayDeque<>();
    private volatile int max;
    private AuditService target;
    private long dropped;

    AuditForwarder(int max) {
        this.max = Math.max(0, max);
    }

    synchronized void setMax(int max) {
        this.max = Math.max(0, max);
        while (waiting.size() > this.max) {
            waiting.pollFirst();
            dropped++;
        }
    }

    /** Auditing appeared: the waiting events go to it first, in order. */
    synchronized void bind(AuditService audit) {
        target = audit;
        if (dropped > 0 && hand(new ServiceAuditEvent(Instant.now(), SecurityServices.ACCESS_CONTROL,
                AuditRecord.TYPE_SERVICE, 0, 0, "", dropped + " access-control audit events were dropped while no"
                        + " auditing service was available (backlog of " + max + ")"))) {
            dropped = 0;
        }
        while (target != null && !waiting.isEmpty()) {
            if (!hand(waiting.peekFirst())) {
                return;
            }
            waiting.pollFirst();
        }
    }

    synchronized void unbind(AuditService audit) {
        if (target == audit) {
            target = null;
        }
    }

    /** Never blocks and never throws. */
    synchronized void report(ServiceAuditEvent event) {
        if (target != null && waiting.isEmpty() && hand(event)) {
            return;
        }
        if (max == 0) {
            dropped++;
            return;
        }
        if (waiting.size() >= max) {
            waiting.pollFirst();
            dropped++;
        }
        waiting.addLast(event);
    }

    synchronized int waiting() {
        return waiting.size();
    }

    synchronized long dropped() {
        return dropped;
    }

    private boolean hand(ServiceAuditEvent e) {
        try {
            target.record(e);
            return true;
        } catch (RuntimeException ex) {
            // an auditing service going away under us: keep the event for the next one
            LOG.debug("auditing service refused an event: {}", ex.toString());
            target = null;
            return false;
        }
    }
}
