package org.opendsi.audit.internal;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.audit.ServiceAuditEvent;
import org.opendsi.api.audit.AuditVerification;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The auditing pipeline: DSM events are put in a bounded buffer (never blocking the DSM's event
 * thread); one writer thread labels them with the policy's rules, appends them to the journal,
 * then hands them to followers, the detectors and the syslog forwarder. When the buffer
 * overflows the drops are counted and a {@link AuditRecord#TYPE_LOST} record says how many.
 */
final class AuditRuntime implements AuditService, DsmEventListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditRuntime.class);

    private record Follower(AuditQuery query, Consumer<AuditRecord> consumer) {
    }

    private final String node;
    private final EventMapper.RuleLookup rules;
    private final AlarmOutbox alarms;
    private final BlockingQueue<Object> buffer;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final List<Follower> followers = new CopyOnWriteArrayList<>();
    private final Detectors detectors;
    private final Clock clock;
    /** Touched by the writer thread only. */
    private final AuditSummary summary;
    private final Thread writer;
    private volatile Journal journal;
    private volatile AuditSettings settings;
    private volatile SyslogForwarder syslog;
    private volatile boolean running = true;
    private final Object idle = new Object();
    /** Items taken into the buffer, and items the writer has finished with: drain() compares them. */
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong processed = new AtomicLong();

    AuditRuntime(AuditSettings s, String node, EventMapper.RuleLookup rules, AlarmOutbox alarms, Clock clock)
            throws IOException {
        this.settings = s;
        this.node = node;
        this.rules = rules;
        this.alarms = alarms;
        this.buffer = new ArrayBlockingQueue<>(Math.max(1, s.bufferSize()));
        this.journal = new Journal(s.dir(), s.maxFileBytes(), s.maxFiles());
        this.detectors = new Detectors(clock, s.denialCount(), s.windowSeconds(), alarms::raise);
        this.clock = clock;
        this.summary = new AuditSummary(clock.instant());
        if (s.syslogEnabled()) {
            syslog = new SyslogForwarder(s.syslogTarget(), node);
        }
        this.writer = new Thread(this::run, "dsi-audit-writer");
        writer.setDaemon(true);
        writer.start();
        submit(EventMapper.service(AuditRecord.TYPE_SERVICE, node, 0, "Auditing service started on node " + node
                + ", journal " + s.dir() + ", continuing after record " + journal.lastSeq()));
    }

    /** Applies a changed configuration without losing buffered records. */
    synchronized void reconfigure(AuditSettings s) throws IOException {
        AuditSettings old = settings;
        settings = s;
        detectors.configure(s.denialCount(), s.windowSeconds());
        alarms.setMax(s.alarmBacklog());
        if (!old.dir().equals(s.dir())) {
            Journal j = new Journal(s.dir(), s.maxFileBytes(), s.maxFiles());
            Journal previous = journal;
            synchronized (previous) {
                journal = j;
            }
            previous.close();
        } else {
            journal.setLimits(s.maxFileBytes(), s.maxFiles());
        }
        if (!Objects.equals(old.syslogEnabled() ? old.syslogTarget() : null, s.syslogEnabled() ? s.syslogTarget() : null)) {
            SyslogForwarder f = syslog;
            syslog = s.syslogEnabled() ? new SyslogForwarder(s.syslogTarget(), node) : null;
            if (f != null) {
                f.close();
            }
        }
        LOG.info("Auditing reconfigured: {} denials per flow within {} s raise an alarm; journal {}; syslog {}",
                s.denialCount(), s.windowSeconds(), s.dir(), s.syslogEnabled() ? s.syslogTarget() : "off");
    }

    AuditSettings settings() {
        return settings;
    }

    Detectors detectors() {
        return detectors;
    }

    SyslogForwarder syslog() {
        return syslog;
    }

    // ------------------------------------------------------------------ DsmEventListener

    @Override
    public void dsmEvent(DsmEvent event) {
        submit(event);
    }

    /** Never blocks and never throws. */
    void submit(Object eventOrRecord) {
        if (!running || !buffer.offer(eventOrRecord)) {
            dropped.incrementAndGet();
            droppedTotal.incrementAndGet();
        } else {
            accepted.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ writer thread

    private void run() {
        while (true) {
            Object item;
            try {
                item = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                item = null;
            }
            summarizeIfDue();
            if (item == null) {
                flushJournal();
                if (!running && buffer.isEmpty()) {
                    break;
                }
                continue;
            }
            try {
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    write(EventMapper.service(AuditRecord.TYPE_LOST, node, lost, lost
                            + " audit events were lost: the auditing buffer (" + settings.bufferSize()
                            + " records) overflowed"));
                }
                AuditRecord draft = item instanceof DsmEvent e ? EventMapper.draft(e, node, safeRules()) : (AuditRecord) item;
                write(draft);
                if (buffer.isEmpty()) {
                    flushJournal();
                }
            } catch (RuntimeException e) {
                LOG.warn("Audit record could not be processed: {}", e.toString());
            } finally {
                processed.incrementAndGet();
            }
        }
        flushJournal();
    }

    private EventMapper.RuleLookup safeRules() {
        return (id, version) -> {
            try {
                return rules.rule(id, version);
            } catch (RuntimeException e) {
                return EventMapper.RuleRef.UNKNOWN;
            }
        };
    }

    private void write(AuditRecord draft) {
        AuditRecord r;
        try {
            r = journal.append(draft);
        } catch (IOException e) {
            // the fact is not lost silently: counted, and a LOST record follows once writing works again
            dropped.incrementAndGet();
            droppedTotal.incrementAndGet();
            LOG.error("Audit journal {} not writable: {}", journal.dir(), e.toString());
            return;
        }
        summary.add(r);
        for (Follower f : followers) {
            if (f.query().matches(r)) {
                try {
                    f.consumer().accept(r);
                } catch (RuntimeException e) {
                    LOG.debug("audit follower failed", e);
                }
            }
        }
        try {
            detectors.accept(r);
        } catch (RuntimeException e) {
            LOG.warn("Audit detectors failed on record {}: {}", r.seq(), e.toString());
        }
        SyslogForwarder f = syslog;
        if (f != null) {
            f.offer(r);
        }
    }

    /**
     * Every summary.interval.seconds (0 = never), what the journal received is forwarded to the
     * Security Server as a LOW alarm from "auditing-summary" (quiet intervals send nothing).
     */
    private void summarizeIfDue() {
        long every = settings.summarySeconds();
        if (every <= 0) {
            return;
        }
        java.time.Instant now = clock.instant();
        if (now.isBefore(summary.since().plusSeconds(every))) {
            return;
        }
        if (summary.isEmpty()) {
            summary.take(node, now);   // starts the next interval
            return;
        }
        alarms.raise(org.opendsi.api.alarm.AlarmPriority.LOW, AuditSummary.SOURCE, summary.take(node, now));
    }

    private void flushJournal() {
        try {
            journal.flush();
        } catch (IOException e) {
            LOG.error("Audit journal {} not writable: {}", journal.dir(), e.toString());
        }
    }

    /** Waits until everything submitted so far is in the journal (tests, queries). */
    boolean drain(long timeoutMillis) {
        // counted, not "buffer empty and not writing": the writer takes an item out of the buffer
        // a moment before it starts writing it, and a drain looking then would return too early
        long target = accepted.get();
        long end = System.currentTimeMillis() + timeoutMillis;
        while (processed.get() < target && System.currentTimeMillis() < end) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return processed.get() >= target;
    }

    // ------------------------------------------------------------------ AuditService

    @Override
    public List<AuditRecord> query(AuditQuery query) {
        drain(2000);
        return journal.query(query);
    }

    @Override
    public AutoCloseable follow(AuditQuery query, Consumer<AuditRecord> consumer) {
        Follower f = new Follower(query, consumer);
        followers.add(f);
        return () -> followers.remove(f);
    }

    @Override
    public AuditVerification verify() {
        drain(2000);
        return journal.verify();
    }

    @Override
    public void record(ServiceAuditEvent event) {
        submit(EventMapper.reported(event, node));
    }

    @Override
    public long dropped() {
        return droppedTotal.get();
    }

    @Override
    public void close() {
        submit(EventMapper.service(AuditRecord.TYPE_SERVICE, node, 0, "Auditing service stopped on node " + node));
        running = false;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        followers.clear();
        SyslogForwarder f = syslog;
        if (f != null) {
            f.close();
        }
        try {
            journal.close();
        } catch (IOException e) {
            LOG.warn("Closing the audit journal: {}", e.toString());
        }
    }
}
