package org.opendsi.api.policy;

import java.util.List;

/** A policy was rejected; the running policy is unchanged. Carries every located error. */
public class PolicyException extends Exception {
    private final List<PolicyError> errors;

    public PolicyException(List<PolicyError> errors) {
        super(errors.isEmpty() ? "policy rejected" : errors.get(0).toString()
                + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more errors)" : ""));
        this.errors = List.copyOf(errors);
    }

    public PolicyException(String file, String message) {
        this(List.of(new PolicyError(file, 0, 0, message)));
    }

    public List<PolicyError> errors() {
        return errors;
    }
}
