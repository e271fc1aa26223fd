package org.opendsi.audit.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.opendsi.api.audit.AuditAnchor;
import org.opendsi.api.audit.AuditCheckpoint;
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
 * thread); one writer thread labels them with the policy's rules, lets a flood of denials through
 * the {@link FloodGate}, appends them to the journal, then hands them to followers, the detectors
 * and the syslog forwarder. When the buffer overflows the drops are counted and a
 * {@link AuditRecord#TYPE_LOST} record says how many. Every {@code checkpoint.seconds} the
 * journal's tail is checkpointed (beside the journal, and off the node through the
 * {@link AuditAnchor} when there is one) and checked for files cut or deleted behind its back.
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
    /** Decisions on the writer thread only; its limits may change from the configuration thread. */
    private final FloodGate flood;
    private final Supplier<AuditAnchor> anchor;
    private long lastCheckpointMillis;
    private long checkpointedSeq = -1;
    /** The last integrity problem reported (null: none since start); written by the writer thread. */
    private volatile String lastProblem;
    static final String CHECKPOINT_FILE = "checkpoint";
    static final String FORWARDED_FILE = "forwarded";

    AuditRuntime(AuditSettings s, String node, EventMapper.RuleLookup rules, AlarmOutbox alarms, Clock clock)
            throws IOException {
        this(s, node, rules, alarms, clock, () -> null);
    }

    AuditRuntime(AuditSettings s, String node, EventMapper.RuleLookup rules, AlarmOutbox alarms, Clock clock,
            Supplier<AuditAnchor> anchor) throws IOException {
        this.settings = s;
        this.anchor = anchor;
        this.node = node;
        this.rules = rules;
        this.alarms = alarms;
        this.buffer = new ArrayBlockingQueue<>(Math.max(1, s.bufferSize()));
        this.journal = new Journal(s.dir(), s.maxFileBytes(), s.maxFiles(), node);
        this.journal.setExports(exports());
        this.flood = new FloodGate(s.floodWindowSeconds() * 1000, s.floodPerFlow(), s.floodPerWindow());
        this.detectors = new Detectors(clock, s.denialCount(), s.windowSeconds(), alarms::raise);
        this.clock = clock;
        this.summary = new AuditSummary(clock.instant());
        if (s.syslogEnabled()) {
            syslog = forwarder(s);
        }
        AuditVerification atStart = journal.verifyAgainst(anchors());
        this.writer = new Thread(this::run, "dsi-audit-writer");
        writer.setDaemon(true);
        writer.start();
        submit(EventMapper.service(AuditRecord.TYPE_SERVICE, node, 0, "Auditing service started on node " + node
                + ", journal " + s.dir() + ", continuing after record " + journal.lastSeq()));
        if (!atStart.intact()) {
            integrityProblem("at start: " + describe(atStart));
        }
    }

    private Journal.Exports exports() {
        return new Journal.Exports() {
            @Override
            public long exportedSeq() {
                SyslogForwarder f = syslog;
                return f == null ? 0 : f.exportedSeq();
            }

            @Override
            public boolean forwarding() {
                return syslog != null;
            }

            @Override
            public void removedUnexported(String what) {
                alarms.raise(org.opendsi.api.alarm.AlarmPriority.HIGH, SOURCE_INTEGRITY, "Audit journal of node " + node
                        + ": " + what);
            }
        };
    }

    static final String SOURCE_INTEGRITY = "auditing-integrity";

    /** A forwarder that first sends what a previous one had not (after the mark kept beside the journal). */
    private SyslogForwarder forwarder(AuditSettings s) {
        long mark = readMark(s.dir().resolve(FORWARDED_FILE));
        List<AuditRecord> backlog = journal.recordsAfter(mark, s.syslogQueue());
        return new SyslogForwarder(s.syslogTarget(), node, mark, backlog);
    }

    private static long readMark(Path f) {
        try {
            return Long.parseLong(Files.readString(f, StandardCharsets.US_ASCII).trim());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The checkpoints to hold the journal against: the local one, and the one the Security Server keeps. */
    private List<Journal.Anchor> anchors() {
        List<Journal.Anchor> out = new ArrayList<>();
        readCheckpoint(journal.dir().resolve(CHECKPOINT_FILE))
                .ifPresent(c -> out.add(new Journal.Anchor(c, "the checkpoint beside the journal")));
        AuditAnchor a = anchor.get();
        if (a != null) {
            try {
                a.anchored().ifPresent(c -> out.add(new Journal.Anchor(c, "the Security Server")));
            } catch (RuntimeException e) {
                LOG.debug("audit anchor unavailable: {}", e.toString());
            }
        }
        return out;
    }

    /** The local checkpoint: one line "seq hash firstSeq time". */
    static Optional<AuditCheckpoint> readCheckpoint(Path f) {
        try {
            String[] w = Files.readString(f, StandardCharsets.US_ASCII).trim().split(" ");
            return Optional.of(new AuditCheckpoint(Long.parseLong(w[0]), w[1], Long.parseLong(w[2]), Instant.parse(w[3])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void writeCheckpoint(Path f, AuditCheckpoint c) throws IOException {
        replace(f, c.seq() + " " + c.hash() + " " + c.firstSeq() + " " + c.time() + "\n");
    }

    /** A small file replaced whole (a crash leaves the old content, never half of the new). */
    private static void replace(Path f, String text) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static String describe(AuditVerification v) {
        return v.problem() + (v.file() == null ? "" : " (" + v.file() + (v.line() > 0 ? ", line " + v.line() : "")
                + (v.seq() >= 0 ? ", record " + v.seq() : "") + ")");
    }

    /** Said once per distinct problem: journaled, and a HIGH alarm for the Security Server. */
    private void integrityProblem(String problem) {
        if (problem.equals(lastProblem)) {
            return;
        }
        lastProblem = problem;
        String text = "Audit journal of node " + node + " is not intact " + problem;
        LOG.error(text);
        alarms.raise(org.opendsi.api.alarm.AlarmPriority.HIGH, SOURCE_INTEGRITY, text);
        submit(EventMapper.service(AuditRecord.TYPE_SERVICE, node, 0, text));
    }

    /**
     * On the writer thread every checkpoint.seconds: check the files behind the journal's back,
     * then checkpoint its tail (beside it and through the anchor) and keep the forwarding mark.
     */
    private void checkpointIfDue(boolean force) {
        long now = clock.millis();
        if (!force && now - lastCheckpointMillis < settings.checkpointSeconds() * 1000) {
            return;
        }
        lastCheckpointMillis = now;
        try {
            journal.quickCheck().ifPresent(p -> integrityProblem(": " + p));
            AuditCheckpoint c = journal.checkpoint(clock.instant());
            if (c.seq() != checkpointedSeq) {
                writeCheckpoint(journal.dir().resolve(CHECKPOINT_FILE), c);
                checkpointedSeq = c.seq();
                AuditAnchor a = anchor.get();
                if (a != null) {
                    a.checkpoint(c);
                }
            }
            SyslogForwarder f = syslog;
            if (f != null) {
                replace(journal.dir().resolve(FORWARDED_FILE), f.exportedSeq() + "\n");
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Audit checkpoint failed: {}", e.toString());
        }
    }

    /** Applies a changed configuration without losing buffered records. */
    synchronized void reconfigure(AuditSettings s) throws IOException {
        AuditSettings old = settings;
        settings = s;
        detectors.configure(s.denialCount(), s.windowSeconds());
        alarms.setMax(s.alarmBacklog());
        // in place: a new gate would drop the counts the old one still holds
        flood.configure(s.floodWindowSeconds() * 1000, s.floodPerFlow(), s.floodPerWindow());
        if (!old.dir().equals(s.dir())) {
            Journal j = new Journal(s.dir(), s.maxFileBytes(), s.maxFiles(), node);
            j.setExports(exports());
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
            syslog = s.syslogEnabled() ? forwarder(s) : null;
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
                for (AuditRecord a : flood.roll(clock.millis())) {
                    write(a);
                }
                flushJournal();
                checkpointIfDue(false);
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
                for (AuditRecord r : flood.admit(draft, clock.millis())) {
                    write(r);
                }
                if (buffer.isEmpty()) {
                    flushJournal();
                    checkpointIfDue(false);
                }
            } catch (RuntimeException e) {
                LOG.warn("Audit record could not be processed: {}", e.toString());
            } finally {
                processed.incrementAndGet();
            }
        }
        for (AuditRecord a : flood.flush()) {
            write(a);
        }
        flushJournal();
        checkpointIfDue(true);
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
        List<AuditRecord> written;
        try {
            written = journal.appendAll(draft);
        } catch (IOException e) {
            // the fact is not lost silently: counted, and a LOST record follows once writing works again
            dropped.incrementAndGet();
            droppedTotal.incrementAndGet();
            LOG.error("Audit journal {} not writable: {}", journal.dir(), e.toString());
            return;
        }
        for (AuditRecord r : written) {
            deliver(r);
        }
    }

    private void deliver(AuditRecord r) {
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

    /**
     * The hash chain, the rotation marks, and the tail against the checkpoint kept beside the
     * journal and the one the Security Server keeps (a cut tail or a deleted file shows here).
     */
    @Override
    public AuditVerification verify() {
        drain(2000);
        return journal.verifyAgainst(anchors());
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
    public org.opendsi.api.audit.AuditJournalStatus journalStatus() {
        org.opendsi.api.audit.AuditCheckpoint c = journal().checkpoint(Instant.now());
        long bytes = 0;
        int files = 0;
        try {
            for (java.nio.file.Path f : journal().files()) {
                try {
                    bytes += java.nio.file.Files.size(f);
                    files++;
                } catch (java.io.IOException e) {
                    // removed meanwhile by rotation: no longer part of the journal
                }
            }
        } catch (java.io.IOException e) {
            LOG.debug("cannot list the journal files", e);
        }
        String problem = lastIntegrityProblem();
        return new org.opendsi.api.audit.AuditJournalStatus(c.seq(), c.seq() == 0 ? 0 : c.seq() - c.firstSeq() + 1,
                bytes, files, problem == null, problem == null ? "" : problem, dropped());
    }

    /** For {@link AuditingStats}: the journal now. */
    Journal journal() {
        return journal;
    }

    /** For {@link AuditingStats}: the last integrity problem reported since start, null when none. */
    String lastIntegrityProblem() {
        return lastProblem;
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
