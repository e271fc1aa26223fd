package org.opendsi.shell.audit;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.audit.AuditQuery;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.audit.AuditVerification;

/** The node's audit journal: list, filter, follow and verify its hash chain. */
@Service
@Command(scope = "dsi", name = "audit", description = "List this node's audit records (DSM denials, transitions, forged labels), follow them, or verify the journal's hash chain")
public class AuditCommand implements Action {

    @Reference(optional = true)
    AuditService audit;

    @Option(name = "--denied", description = "Only denials (enforced, audit-only, forged labels, refused execs)")
    boolean denied;

    @Option(name = "--since", description = "Only records since this time: ISO-8601 (2026-11-22T07:00:00Z) or a duration back from now (90s, 10m, 1h, 2d)")
    String since;

    @Option(name = "--scid", description = "Only records whose source or target context is this ScID")
    String scid;

    @Option(name = "--node", description = "Only records whose source or target node is this SnID")
    String node;

    @Option(name = "--limit", description = "At most this many records, the most recent (default 100, 0 = all)")
    int limit = 100;

    @Option(name = "--follow", description = "Then print new records as they come, until interrupted (Ctrl-C)")
    boolean follow;

    @Option(name = "--follow-for", description = "With --follow: stop following after this duration (e.g. 30s)")
    String followFor;

    @Option(name = "--verify", description = "Verify the journal: its SHA-256 chain, that no file was deleted (rotation marks), and its tail against the checkpoints kept beside it and on the Security Server; report the first problem")
    boolean verify;

    @Option(name = "--no-format", description = "Print tables without borders, for scripts")
    boolean noFormat;

    @Override
    public Object execute() throws Exception {
        if (audit == null) {
            throw new IllegalStateException("The auditing service is not running on this node: install or start "
                    + "the dsi-service-auditing feature/bundle (feature:install dsi-service-auditing) and see the log");
        }
        PrintStream out = System.out;
        if (verify) {
            AuditVerification v = audit.verify();
            if (v.intact()) {
                out.println("Audit journal intact: " + v.records() + " records in " + v.files() + " file(s), every hash, link,"
                        + " rotation mark and checkpoint verified"
                        + (audit.dropped() > 0 ? "; " + audit.dropped() + " records lost to buffer overflow since start (journaled as LOST)" : ""));
                return null;
            }
            throw new IllegalStateException("Audit journal BROKEN at " + v.file() + (v.line() > 0 ? " line " + v.line() : "")
                    + (v.seq() >= 0 ? " (record " + v.seq() + ")" : "") + ": " + v.problem() + "; "
                    + v.records() + " records before it verified");
        }
        AuditQuery q = new AuditQuery(denied, since == null ? null : parseSince(since),
                scid == null ? null : SecurityIds.parse("ScID", scid), node == null ? null : SecurityIds.parse("SnID", node),
                Math.max(0, limit));
        List<AuditRecord> records = audit.query(q);
        ShellTable t = table();
        for (AuditRecord r : records) {
            row(t, r);
        }
        t.print(out, !noFormat);
        if (!follow) {
            return null;
        }
        long lastSeq = records.isEmpty() ? 0 : records.get(records.size() - 1).seq();
        LinkedBlockingQueue<AuditRecord> incoming = new LinkedBlockingQueue<>(10_000);
        AuditQuery live = new AuditQuery(q.deniedOnly(), null, q.scid(), q.snid(), 0);
        long end = followFor == null ? Long.MAX_VALUE : System.currentTimeMillis() + parseDuration(followFor).toMillis();
        try (AutoCloseable handle = audit.follow(live, incoming::offer)) {
            out.println("Following (Ctrl-C to stop)...");
            while (System.currentTimeMillis() < end && !Thread.currentThread().isInterrupted()) {
                AuditRecord r = incoming.poll(200, TimeUnit.MILLISECONDS);
                if (r == null || r.seq() <= lastSeq) {
                    continue;
                }
                ShellTable one = table();
                row(one, r);
                one.noHeaders();
                one.print(out, false);
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    private static ShellTable table() {
        ShellTable t = new ShellTable();
        t.column("Seq");
        t.column("Time");
        t.column("Type");
        t.column("Permission");
        t.column("Source");
        t.column("Target");
        t.column("Rule");
        t.column("Process");
        t.column("Flow");
        t.column("Policy");
        t.column("Supp");
        return t;
    }

    private static void row(ShellTable t, AuditRecord r) {
        boolean service = r.type().equals(AuditRecord.TYPE_LOST) || r.type().equals(AuditRecord.TYPE_SERVICE);
        // actions other services reported (access control: tables loaded, binaries labeled): their sentence
        boolean reported = r.type().equals(AuditRecord.TYPE_POLICY_LOADED) || r.type().equals(AuditRecord.TYPE_LABEL);
        String rule = service || reported ? "" : r.ruleId() == 0 ? "0 (default)"
                : Integer.toUnsignedString(r.ruleId()) + (r.ruleLine() > 0 ? " line " + r.ruleLine() : "")
                        + (r.ruleLabel().isEmpty() ? "" : ": " + r.ruleLabel());
        String src = service || reported ? r.text() : SecurityIds.format(r.srcScid()) + "@" + SecurityIds.format(r.srcSnid());
        String tgt = service || reported ? "" : SecurityIds.format(r.tgtScid()) + "@" + SecurityIds.format(r.tgtSnid());
        String proc = r.pid() == 0 && r.comm().isEmpty() ? (r.path().isEmpty() ? "" : r.path())
                : (r.pid() == 0 ? "" : r.pid() + " ") + r.comm() + (r.path().isEmpty() ? "" : " " + r.path());
        String flow = r.protocol().isEmpty() ? ""
                : r.protocol() + " " + r.srcAddr() + ":" + r.srcPort() + " -> " + r.dstAddr() + ":" + r.dstPort();
        t.addRow().addContent(r.seq(), r.time(), r.type(), r.permission(), src, tgt, rule, proc, flow,
                service ? "" : r.policyVersion(), r.suppressed());
    }

    static Instant parseSince(String s) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e2) {
                return Instant.now().minus(parseDuration(s));
            }
        }
    }

    /** 90s, 10m, 1h, 2d or an ISO-8601 duration (PT1H). */
    static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + s + "' is neither an ISO time (2026-11-22T07:00:00Z) nor a duration (90s, 10m, 1h, 2d)");
        }
    }
}
