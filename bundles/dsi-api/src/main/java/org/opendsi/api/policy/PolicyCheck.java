package org.opendsi.api.policy;

import java.util.List;

/**
 * Result of validating a DSP file without applying it: either a summary or every error found.
 * Warnings (e.g. an allow overlapped by an explicit deny, which wins) never make a policy invalid.
 */
public record PolicyCheck(String file, PolicySummary summary, List<PolicyError> errors, List<PolicyError> warnings) {
    public boolean valid() {
        return errors.isEmpty();
    }
}
