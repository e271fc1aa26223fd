package org.opendsi.policy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicySummary;
import org.opendsi.api.policy.RuleInfo;
import org.opendsi.api.table.CompiledTable;

/**
 * A validated policy and its compiled tables, with a decision engine over them. Immutable and
 * thread-safe; produced by {@link DspCompiler}.
 */
public final class CompiledPolicy {

    private final PolicyModel model;
    private final CompiledTable table;
    private final String canonicalForm;
    private final String digest;
    private final Map<Integer, DecisionEngine.RuleRef> ruleRefs;
    private final List<PolicyError> warnings;
    private final DecisionEngine engine;

    CompiledPolicy(PolicyModel model, CompiledTable table, String canonicalForm,
                   Map<Integer, DecisionEngine.RuleRef> ruleRefs, List<PolicyError> warnings) {
        this(model, table, canonicalForm, Map.copyOf(ruleRefs), warnings, null);
    }

    private CompiledPolicy(PolicyModel model, CompiledTable table, String canonicalForm,
                           Map<Integer, DecisionEngine.RuleRef> ruleRefs, List<PolicyError> warnings,
                           DecisionEngine engine) {
        this.model = model;
        this.table = table;
        this.canonicalForm = canonicalForm;
        this.digest = HexFormat.of().formatHex(table.digest());
        this.ruleRefs = ruleRefs;
        this.warnings = List.copyOf(warnings);
        this.engine = engine != null ? engine : new DecisionEngine(table, ruleRefs::get);
    }

    /** The same policy with its table stamped with a version number (decisions are unchanged). */
    public CompiledPolicy withVersion(long version) {
        return new CompiledPolicy(model, table.withVersion(version), canonicalForm, ruleRefs, warnings, engine);
    }

    public PolicyModel model() {
        return model;
    }

    public CompiledTable table() {
        return table;
    }

    public String canonicalForm() {
        return canonicalForm;
    }

    /** Lower-case hex SHA-256 of the canonical form. */
    public String digest() {
        return digest;
    }

    /** Non-fatal findings (allow/deny overlaps), located at the allow rule. */
    public List<PolicyError> warnings() {
        return warnings;
    }

    public DecisionEngine engine() {
        return engine;
    }

    /** Decides (subject ScID, subject SnID, target ScID, permission). Allocation free. */
    public Decision decide(int subjectScid, int subjectSnid, int targetScid, Permission permission) {
        return engine.decide(subjectScid, subjectSnid, targetScid, permission);
    }

    /** The rule-id's source line and label, or null for 0 / unknown ids. */
    public DecisionEngine.RuleRef rule(int ruleId) {
        return ruleRefs.get(ruleId);
    }

    /** Rules in source order, as RuleInfo (id, line, kind, text). */
    public List<RuleInfo> rules() {
        List<RuleInfo> out = new ArrayList<>();
        for (PolicyModel.Rule r : model.rules()) {
            out.add(new RuleInfo(r.ruleId(), r.loc().line(), r.kind(), model.describe(r)));
        }
        return out;
    }

    public PolicySummary summary() {
        return new PolicySummary(model.name(), model.contexts().size(), model.nodes().size(), model.zones().size(),
                model.accessRules().size(), model.socketLabels().size(), model.transitions().size(),
                model.externals().size(), table.access().size(), digest);
    }

    /**
     * The ScID of a socket bound to protocol/port on node snid: the node-specific label, else the
     * ANY label; empty when the port is unlabeled (the socket then has its process's ScID).
     */
    public OptionalInt socketLabel(int protocol, int port, int snid) {
        Integer any = null;
        for (CompiledTable.SocketLabel l : table.socketLabels()) {
            if (l.protocol() == protocol && l.port() == port) {
                if (l.snid() == snid && snid != SecurityIds.ANY) {
                    return OptionalInt.of(l.scid());
                }
                if (l.snid() == SecurityIds.ANY) {
                    any = l.scid();
                }
            }
        }
        return any == null ? OptionalInt.empty() : OptionalInt.of(any);
    }

    /** The new ScID for (parent, binary) per the transition records, empty when there is none. */
    public OptionalInt transition(int parentScid, int binaryScid) {
        for (CompiledTable.Transition t : table.transitions()) {
            if (t.parentScid() == parentScid && t.binaryScid() == binaryScid) {
                return OptionalInt.of(t.newScid());
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Exec of a binary labeled binaryScid by a process of parentScid on node snid: allowed only
     * when a transition record exists and (parent, snid, new, transition) is allowed.
     */
    public Decision decideExec(int parentScid, int snid, int binaryScid) {
        OptionalInt nw = transition(parentScid, binaryScid);
        if (nw.isEmpty()) {
            boolean audit = engine.isAudit(parentScid) || engine.isAudit(binaryScid);
            return new Decision(false, Permission.TRANSITION, 0, 0, "no transition rule for "
                    + model.contextName(parentScid) + "+" + model.contextName(binaryScid), audit);
        }
        return decide(parentScid, snid, nw.getAsInt(), Permission.TRANSITION);
    }

    /**
     * Traffic of a process of scid to a non-cluster IPv4 address (network-order int), for
     * connect or send: the longest matching prefix among the ScID's external rules covering the
     * permission, else among the "*" rules, else the policy's external default.
     */
    public Decision decideExternal(int scid, int address, Permission permission) {
        if (permission != Permission.CONNECT && permission != Permission.SEND) {
            throw new IllegalArgumentException("external rules decide connect and send only, not "
                    + permission.xmlName());
        }
        CompiledTable.NetRule best = longest(scid, address, permission);
        if (best == null) {
            best = longest(SecurityIds.ANY, address, permission);
        }
        boolean audit = engine.isAudit(scid);
        if (best == null) {
            boolean allowed = (table.externalAllowMask() & permission.mask()) != 0;
            return new Decision(allowed, permission, 0, 0, allowed ? "default external allow" : "default external deny",
                    !allowed && audit);
        }
        boolean allowed = best.action() == 1;
        DecisionEngine.RuleRef ref = ruleRefs.get(best.ruleId());
        return new Decision(allowed, permission, best.ruleId(), ref == null ? 0 : ref.line(),
                ref == null ? "rule " + best.ruleId() : ref.label(), !allowed && audit);
    }

    private CompiledTable.NetRule longest(int scid, int address, Permission p) {
        CompiledTable.NetRule best = null;
        for (CompiledTable.NetRule r : table.netRules()) {
            if (r.scid() != scid || (r.permMask() & p.mask()) == 0) {
                continue;
            }
            int mask = Ipv4.mask(r.prefixLen());
            if ((address & mask) == (Ipv4.fromBytes(r.prefix()) & mask)
                    && (best == null || r.prefixLen() > best.prefixLen())) {
                best = r;
            }
        }
        return best;
    }
}
