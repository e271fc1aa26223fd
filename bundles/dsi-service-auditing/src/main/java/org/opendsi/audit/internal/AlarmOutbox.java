package org.opendsi.audit.internal;

import java.util.ArrayDeque;
import java.util.Deque;

import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.alarm.AlarmService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands detector alarms to the AlarmService when there is one; otherwise keeps a bounded backlog
 * (oldest dropped first, and counted) and sends it when an AlarmService appears.
 */
final class AlarmOutbox {

    private static final Logger LOG = LoggerFactory.getLogger(AlarmOutbox.class);

    private record Pending(AlarmPriority priority, String source, String text) {
    }

    private final Deque<Pending> backlog = new ArrayDeque<>();
    private volatile int max;
    private AlarmService service;
    private long droppedFromBacklog;

    AlarmOutbox(int max) {
        this.max = Math.max(1, max);
    }

    void setMax(int max) {
        this.max = Math.max(1, max);
    }

    synchronized void raise(AlarmPriority priority, String text) {
        raise(priority, Detectors.SOURCE, text);
    }

    synchronized void raise(AlarmPriority priority, String source, String text) {
        if (service != null && backlog.isEmpty()) {
            try {
                service.raise(priority, source, text);
                return;
            } catch (RuntimeException e) {
                LOG.warn("AlarmService refused an alarm ({}); kept for later: {}", e.toString(), text);
            }
        }
        backlog.addLast(new Pending(priority, source, text));
        while (backlog.size() > max) {
            backlog.removeFirst();
            droppedFromBacklog++;
        }
        flush();
    }

    synchronized void setService(AlarmService s) {
        service = s;
        flush();
    }

    synchronized void unsetService(AlarmService s) {
        if (service == s) {
            service = null;
        }
    }

    synchronized int backlog() {
        return backlog.size();
    }

    private void flush() {
        if (service == null) {
            return;
        }
        if (droppedFromBacklog > 0) {
            try {
                service.raise(AlarmPriority.MEDIUM, Detectors.SOURCE, droppedFromBacklog
                        + " auditing alarms were lost while no alarm service was available (backlog full)");
                droppedFromBacklog = 0;
            } catch (RuntimeException e) {
                return;
            }
        }
        while (!backlog.isEmpty()) {
            Pending p = backlog.peekFirst();
            try {
                service.raise(p.priority(), p.source(), p.text());
            } catch (RuntimeException e) {
                return;
            }
            backlog.removeFirst();
        }
    }
}
