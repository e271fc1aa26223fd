package org.opendsi.audit.internal;

import java.time.Instant;

import org.opendsi.api.SecurityIds;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.ServiceAuditEvent;
import org.opendsi.dsm.DsmEvent;

/** Turns a DSM event into a draft audit record (seq and hashes are assigned by the journal). */
final class EventMapper {

    /** The deciding rule as the current policy knows it. */
    record RuleRef(int line, String label) {
        static final RuleRef UNKNOWN = new RuleRef(0, "");
    }

    /** Looks a rule id up in the current policy. */
    interface RuleLookup {
        RuleRef rule(int ruleId, long policyVersion);
    }

    private EventMapper() {
    }

    static AuditRecord draft(DsmEvent e, String node, RuleLookup rules) {
        String type = switch (e.kind()) {
            case DENY -> AuditRecord.TYPE_DENY;
            case AUDIT_DENY -> AuditRecord.TYPE_AUDIT_DENY;
            case FORGED_LABEL -> AuditRecord.TYPE_FORGED_LABEL;
            case TRANSITION -> AuditRecord.TYPE_TRANSITION;
            case EXEC_DENIED -> AuditRecord.TYPE_EXEC_DENIED;
            default -> AuditRecord.TYPE_UNKNOWN;
        };
        RuleRef rule = e.ruleId() == 0 ? new RuleRef(0, "policy default") : rules.rule(e.ruleId(), e.policyVersion());
        if (rule == null) {
            rule = RuleRef.UNKNOWN;
        }
        String proto = e.protocol() == 0 ? "" : e.protocol() == 6 ? "tcp" : e.protocol() == 17 ? "udp" : String.valueOf(e.protocol());
        boolean net = e.protocol() != 0;
        String perm = e.kind() == DsmEvent.Type.FORGED_LABEL && e.permission() == 0 ? "" : e.permissionName();
        Instant time = e.timeNanos() > 0 ? e.time() : Instant.now();
        AuditRecord partial = new AuditRecord(0, time, type, node, perm, e.srcScid(), e.srcSnid(), e.tgtScid(),
                e.tgtSnid(), e.ruleId(), rule.line(), rule.label(), e.policyVersion(), e.pid(), nz(e.comm()),
                nz(e.path()), proto, net ? DsmEvent.ipv4(e.saddr()) : "", e.sport(), net ? DsmEvent.ipv4(e.daddr()) : "",
                e.dport(), e.suppressed(), "", null, null);
        String text = describe(partial);
        if (!e.execReasonText().isEmpty()) {
            text = (e.killedInGate() ? "Killed before its first instruction in " + ctx(e.tgtScid(), e.tgtSnid())
                    + ": exec of " + (partial.path().isEmpty() ? partial.comm() : partial.path()) + proc(partial)
                    + " from " + ctx(e.srcScid(), e.srcSnid()) : text) + " (" + e.execReasonText() + ")";
        }
        String why = e.kind() == DsmEvent.Type.DENY ? e.denyReasonText() : e.forgedReasonText();
        if (!why.isEmpty()) {
            text = text + " (" + why + ")";
        }
        return withText(partial, text);
    }

    static AuditRecord withText(AuditRecord r, String text) {
        return new AuditRecord(r.seq(), r.time(), r.type(), r.node(), r.permission(), r.srcScid(), r.srcSnid(),
                r.tgtScid(), r.tgtSnid(), r.ruleId(), r.ruleLine(), r.ruleLabel(), r.policyVersion(), r.pid(), r.comm(),
                r.path(), r.protocol(), r.srcAddr(), r.srcPort(), r.dstAddr(), r.dstPort(), r.suppressed(), text,
                r.prevHash(), r.hash());
    }

    /** A record of an action another security service reported (its text says which service). */
    static AuditRecord reported(ServiceAuditEvent e, String node) {
        return new AuditRecord(0, e.time(), e.type(), node, "", 0, 0, e.scid(), 0, 0, 0, "", e.policyVersion(), 0,
                e.service(), e.path(), "", "", 0, "", 0, 0, e.text(), null, null);
    }

    /** A record about the service itself (start, stop, lost records). */
    static AuditRecord service(String type, String node, long count, String text) {
        return new AuditRecord(0, Instant.now(), type, node, "", 0, 0, 0, 0, 0, 0, "", 0, 0, "", "", "", "", 0, "", 0,
                count, text, null, null);
    }

    static String ctx(int scid, int snid) {
        return "context " + SecurityIds.format(scid) + " on node " + SecurityIds.format(snid);
    }

    /** The deciding rule in words: "rule 3 (line 12: allow 10 -> 20 receive)". */
    static String rule(AuditRecord r) {
        if (r.ruleId() == 0) {
            return "the policy default";
        }
        StringBuilder sb = new StringBuilder("rule ").append(Integer.toUnsignedString(r.ruleId()));
        if (r.ruleLine() > 0 || !r.ruleLabel().isEmpty()) {
            sb.append(" (");
            if (r.ruleLine() > 0) {
                sb.append("line ").append(r.ruleLine());
                if (!r.ruleLabel().isEmpty()) {
                    sb.append(": ");
                }
            }
            sb.append(r.ruleLabel()).append(')');
        }
        return sb.toString();
    }

    static String flow(AuditRecord r) {
        if (r.protocol().isEmpty()) {
            return "";
        }
        return " [" + r.protocol() + " " + r.srcAddr() + ":" + r.srcPort() + " -> " + r.dstAddr() + ":" + r.dstPort() + "]";
    }

    static String proc(AuditRecord r) {
        if (r.pid() == 0 && r.comm().isEmpty()) {
            return "";
        }
        return " (process " + (r.comm().isEmpty() ? "?" : r.comm()) + (r.pid() == 0 ? "" : ", pid " + r.pid()) + ")";
    }

    static String describe(AuditRecord r) {
        String src = ctx(r.srcScid(), r.srcSnid());
        String tgt = ctx(r.tgtScid(), r.tgtSnid());
        String supp = r.suppressed() > 0 ? "; " + r.suppressed() + " similar events suppressed before it" : "";
        return switch (r.type()) {
            case AuditRecord.TYPE_DENY -> "Denied '" + r.permission() + "' from " + src + " to " + tgt + proc(r) + flow(r)
                    + " by " + rule(r) + ", policy " + r.policyVersion() + supp;
            case AuditRecord.TYPE_AUDIT_DENY -> "Would deny (audit mode, let through) '" + r.permission() + "' from " + src
                    + " to " + tgt + proc(r) + flow(r) + " by " + rule(r) + ", policy " + r.policyVersion() + supp;
            case AuditRecord.TYPE_FORGED_LABEL -> "Forged label refused: a packet claiming " + src + " came from "
                    + r.srcAddr() + ", not the address registered for node " + Integer.toUnsignedString(r.srcSnid())
                    + "; it was addressed to " + tgt + flow(r) + ", policy " + r.policyVersion() + supp;
            case AuditRecord.TYPE_TRANSITION -> "Exec of " + (r.path().isEmpty() ? r.comm() : r.path()) + " moved"
                    + proc(r) + " from " + src + " to " + tgt + " by " + rule(r) + ", policy " + r.policyVersion();
            case AuditRecord.TYPE_EXEC_DENIED -> "Exec of " + (r.path().isEmpty() ? r.comm() : r.path()) + " denied"
                    + proc(r) + " in " + src + " (binary labelled " + SecurityIds.format(r.tgtScid()) + ") by " + rule(r)
                    + ", policy " + r.policyVersion() + supp;
            default -> "DSM event " + r.type() + " from " + src + " to " + tgt + flow(r) + " by " + rule(r);
        };
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
