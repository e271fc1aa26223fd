package org.opendsi.api.policy;

import java.util.List;

/** Result of validating a DSP file without applying it: either a summary or every error found. */
public record PolicyCheck(String file, PolicySummary summary, List<PolicyError> errors) {
    public boolean valid() {
        return errors.isEmpty();
    }
}
