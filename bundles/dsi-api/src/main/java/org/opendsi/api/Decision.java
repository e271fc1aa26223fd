package org.opendsi.api;

/**
 * The answer to "may subject (ScID, SnID) exercise permission on target ScID".
 *
 * @param allowed     whether the permission is granted by the policy
 * @param permission  the permission asked for
 * @param ruleId      the deciding rule, 0 when the policy default decided
 * @param ruleLine    line of that rule in the DSP source, 0 for the default
 * @param ruleLabel   human readable name of the deciding rule ("default deny" for the default)
 * @param auditOnly   true when the decision is a denial that is only recorded because a context
 *                    involved is in audit mode (the operation is let through)
 */
public record Decision(boolean allowed, Permission permission, int ruleId, int ruleLine,
                       String ruleLabel, boolean auditOnly) {

    /** What the enforcement point does: pass when allowed or when the denial is audit-only. */
    public boolean passes() {
        return allowed || auditOnly;
    }

    public String verdict() {
        return allowed ? "ALLOW" : auditOnly ? "DENY (audit only)" : "DENY";
    }
}
