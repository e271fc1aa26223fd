package org.opendsi.ss;

import java.time.Instant;
import java.util.List;

/**
 * Denials of one flow as one node's auditing journaled them: who (context and node) was refused
 * what, by which rule, how often, and the latest records. The key is everything but {@code count},
 * {@code first}, {@code last} and {@code latest}.
 *
 * @param reporter   SnID of the node whose DSM denied it, taken from that node's authenticated
 *                   channel (never from the report itself)
 * @param type       the audit record type: DENY, AUDIT_DENY, FORGED_LABEL or EXEC_DENIED
 * @param permission the permission refused (DSP name), empty when none
 * @param ruleId     deciding rule, 0 = the policy default
 * @param ruleLabel  the rule as the operator wrote it, empty when unknown
 * @param count      denials in the interval, the DSM's rate-limited ones included
 * @param first      the oldest of them
 * @param last       the newest of them
 * @param latest     the newest records, newest last (at most {@link #MAX_SAMPLES})
 */
public record DenialFlow(int reporter, String type, String permission,
                         int srcScid, int srcSnid, int tgtScid, int tgtSnid,
                         int ruleId, String ruleLabel, long count, Instant first, Instant last,
                         List<DenialSample> latest) {

    /** Samples kept per flow. */
    public static final int MAX_SAMPLES = 3;

    public DenialFlow {
        latest = List.copyOf(latest);
    }

    /** The flow's identity: equal keys are one flow. */
    public Key key() {
        return new Key(reporter, type, permission, srcScid, srcSnid, tgtScid, tgtSnid, ruleId, ruleLabel);
    }

    public record Key(int reporter, String type, String permission, int srcScid, int srcSnid, int tgtScid,
                      int tgtSnid, int ruleId, String ruleLabel) {
    }
}
