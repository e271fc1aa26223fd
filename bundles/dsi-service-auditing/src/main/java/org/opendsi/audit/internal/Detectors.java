package org.opendsi.audit.internal;

import java.time.Clock;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

import org.opendsi.api.SecurityIds;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.audit.AuditRecord;

/**
 * Turns patterns in the audit records into alarms:
 * <ul>
 * <li>{@code denialCount} denials of one flow (source ScID/SnID -> target ScID, port) within
 * {@code windowSeconds};</li>
 * <li>any forged label;</li>
 * <li>any denied exec.</li>
 * </ul>
 * De-duplicated per pattern and key: at most one alarm per window, and the next alarm says how
 * many more happened since. Runs on the auditing writer thread only.
 */
final class Detectors {

    static final String SOURCE = "auditing";

    private final Clock clock;
    private final BiConsumer<AlarmPriority, String> alarms;
    private volatile int denialCount;
    private volatile long windowMillis;
    private final Map<Object, Window> windows = new HashMap<>();

    /** Per-key counting state. */
    private static final class Window {
        long start;
        long count;          // events in the current window (DSM-suppressed ones included)
        boolean alarmed;     // an alarm was raised in this window
        long sinceAlarm;     // events after the last alarm (reported with the next one)
    }

    private record FlowKey(int srcScid, int srcSnid, int tgtScid, String proto, int port) {
    }

    private record ForgedKey(int srcSnid, String srcAddr) {
    }

    private record ExecKey(int srcScid, int tgtScid, String path) {
    }

    Detectors(Clock clock, int denialCount, long windowSeconds, BiConsumer<AlarmPriority, String> alarms) {
        this.clock = clock;
        this.alarms = alarms;
        configure(denialCount, windowSeconds);
    }

    void configure(int denialCount, long windowSeconds) {
        this.denialCount = Math.max(1, denialCount);
        this.windowMillis = Math.max(1, windowSeconds) * 1000;
    }

    int denialCount() {
        return denialCount;
    }

    void accept(AuditRecord r) {
        long now = clock.millis();
        long n = 1 + Math.max(0, r.suppressed());
        switch (r.type()) {
            case AuditRecord.TYPE_DENY -> {
                FlowKey k = new FlowKey(r.srcScid(), r.srcSnid(), r.tgtScid(), r.protocol(), r.dstPort());
                Window w = window(k, now);
                w.count += n;
                if (!w.alarmed && w.count >= denialCount) {
                    w.alarmed = true;
                    String more = w.sinceAlarm > 0 ? " (" + w.sinceAlarm + " more after the previous alarm)" : "";
                    w.sinceAlarm = 0;
                    alarms.accept(AlarmPriority.HIGH, "Repeated denials: " + EventMapper.ctx(r.srcScid(), r.srcSnid())
                            + (r.comm().isEmpty() ? "" : " (" + r.comm() + ")") + " was denied '" + r.permission()
                            + "' to context " + SecurityIds.format(r.tgtScid()) + " on node " + SecurityIds.format(r.tgtSnid())
                            + port(r) + " " + w.count + " times within " + windowMillis / 1000 + " s, by "
                            + EventMapper.rule(r) + more);
                } else if (w.alarmed) {
                    w.sinceAlarm += n;
                }
            }
            case AuditRecord.TYPE_FORGED_LABEL -> once(new ForgedKey(r.srcSnid(), r.srcAddr()), now, n,
                    AlarmPriority.CRITICAL, "Forged label: packets claiming " + EventMapper.ctx(r.srcScid(), r.srcSnid())
                            + " came from " + r.srcAddr() + ", which is not node " + SecurityIds.format(r.srcSnid())
                            + "'s registered address; they were aimed at " + EventMapper.ctx(r.tgtScid(), r.tgtSnid())
                            + port(r) + " and refused");
            case AuditRecord.TYPE_EXEC_DENIED -> once(new ExecKey(r.srcScid(), r.tgtScid(), r.path()), now, n,
                    AlarmPriority.HIGH, "Denied exec: " + EventMapper.ctx(r.srcScid(), r.srcSnid()) + " tried to run "
                            + (r.path().isEmpty() ? r.comm() : r.path()) + " (labelled "
                            + SecurityIds.format(r.tgtScid()) + ")" + EventMapper.proc(r) + ", refused by "
                            + EventMapper.rule(r));
            default -> {
            }
        }
        if (windows.size() > 10_000) {
            expire(now);
        }
    }

    private void once(Object key, long now, long n, AlarmPriority p, String text) {
        Window w = window(key, now);
        w.count += n;
        if (!w.alarmed) {
            w.alarmed = true;
            String more = w.sinceAlarm > 0 ? " (" + w.sinceAlarm + " more since the previous alarm)" : "";
            w.sinceAlarm = 0;
            alarms.accept(p, text + (n > 1 ? " (" + n + " events)" : "") + more);
        } else {
            w.sinceAlarm += n;
        }
    }

    private Window window(Object key, long now) {
        Window w = windows.computeIfAbsent(key, k -> {
            Window nw = new Window();
            nw.start = now;
            return nw;
        });
        if (now - w.start >= windowMillis) {
            // a new window: what followed the last alarm is carried into the next alarm's text
            long carried = w.alarmed ? w.sinceAlarm : 0;
            w.start = now;
            w.count = 0;
            w.alarmed = false;
            w.sinceAlarm = carried;
        }
        return w;
    }

    private void expire(long now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext();) {
            Window w = it.next();
            if (now - w.start >= windowMillis && w.sinceAlarm == 0) {
                it.remove();
            }
        }
    }

    private static String port(AuditRecord r) {
        return r.protocol().isEmpty() || r.dstPort() == 0 ? "" : " port " + r.dstPort() + "/" + r.protocol();
    }

    @Override
    public String toString() {
        return "Detectors[" + denialCount + " denials / " + windowMillis / 1000 + " s]" + Objects.hashCode(this);
    }
}
