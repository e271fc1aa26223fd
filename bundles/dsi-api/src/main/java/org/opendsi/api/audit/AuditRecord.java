package org.opendsi.api.audit;

import java.time.Instant;
import java.util.Set;

/**
 * One entry of a node's audit journal. Records are chained: {@code prevHash} is the {@code hash}
 * of the record written before it, {@code hash} the SHA-256 of this record's canonical JSON form
 * (which includes {@code prevHash}), so removing, inserting or changing a record is evident.
 *
 * @param seq           position in this node's journal, from 1
 * @param time          when the event happened (the DSM's clock), or when the record was made
 * @param type          what happened, one of the {@code TYPE_*} constants
 * @param node          name of the node that wrote the record
 * @param permission    the permission concerned (DSP name), empty when none
 * @param srcScid       subject (source) security context
 * @param srcSnid       subject (source) node
 * @param tgtScid       target security context
 * @param tgtSnid       target node
 * @param ruleId        deciding rule, 0 = the policy default
 * @param ruleLine      line of that rule in the DSP source, 0 when unknown or default
 * @param ruleLabel     the rule as the operator wrote it ("policy default" for 0), empty when unknown
 * @param policyVersion version of the policy table that decided
 * @param pid           process concerned, 0 when unknown
 * @param comm          command name, empty when unknown
 * @param path          binary path (exec events), else empty
 * @param protocol      "tcp", "udp", a number, or empty (exec events)
 * @param srcAddr       source IPv4 address, empty when none
 * @param srcPort       source port, 0 when none
 * @param dstAddr       destination IPv4 address, empty when none
 * @param dstPort       destination port, 0 when none
 * @param suppressed    events of the same flow the DSM's rate limiter dropped before this one
 *                      (for {@link #TYPE_LOST}: records the auditing service itself lost; for a
 *                      record that aggregates a flood ({@code text} says so): the further events of
 *                      that flow it stands for; for {@link #TYPE_ROTATED}: the last record removed)
 * @param text          one sentence in the operator's terms
 * @param prevHash      hash of the previous record (64 zeros for the first)
 * @param hash          this record's hash
 */
public record AuditRecord(long seq, Instant time, String type, String node, String permission,
                          int srcScid, int srcSnid, int tgtScid, int tgtSnid,
                          int ruleId, int ruleLine, String ruleLabel, long policyVersion,
                          int pid, String comm, String path, String protocol,
                          String srcAddr, int srcPort, String dstAddr, int dstPort,
                          long suppressed, String text, String prevHash, String hash) {

    /** A denial enforced by the DSM. */
    public static final String TYPE_DENY = "DENY";
    /** A denial the policy asked for but only recorded (a context in audit mode). */
    public static final String TYPE_AUDIT_DENY = "AUDIT_DENY";
    /** A packet whose label did not come from the address registered for its SnID. */
    public static final String TYPE_FORGED_LABEL = "FORGED_LABEL";
    /** An exec that moved a process into another context. */
    public static final String TYPE_TRANSITION = "TRANSITION";
    /** An exec the policy refused. */
    public static final String TYPE_EXEC_DENIED = "EXEC_DENIED";
    /** Records the auditing service could not write (buffer overflow); {@code suppressed} says how many. */
    public static final String TYPE_LOST = "LOST";
    /** Access control loaded a policy table into the kernel DSM (reported by that service). */
    public static final String TYPE_POLICY_LOADED = "POLICY_LOADED";
    /** Access control labeled or unlabeled a binary (reported by that service). */
    public static final String TYPE_LABEL = "LABEL";
    /**
     * Rotation removed the oldest journal files: {@code path} names them, {@code suppressed} is the
     * sequence number of the last record removed (the oldest record kept follows it), {@code text}
     * says whether every removed record had left the node first.
     */
    public static final String TYPE_ROTATED = "ROTATED";
    /** The auditing service started or stopped. */
    public static final String TYPE_SERVICE = "SERVICE";
    /** An event code this version does not know. */
    public static final String TYPE_UNKNOWN = "UNKNOWN";

    /** Hash of "no previous record". */
    public static final String GENESIS = "0".repeat(64);

    private static final Set<String> DENIALS = Set.of(TYPE_DENY, TYPE_AUDIT_DENY, TYPE_FORGED_LABEL, TYPE_EXEC_DENIED);

    /** Whether the record is a denial (enforced, audit-only, forged label or refused exec). */
    public boolean denied() {
        return DENIALS.contains(type);
    }

    /** Whether records of this type are denials ({@link #denied()}). */
    public static boolean isDenialType(String type) {
        return type != null && DENIALS.contains(type);
    }
}
