package org.opendsi.api.policy;

/** Counts and digest of a validated policy. digest is the lower-case hex SHA-256 of its canonical form. */
public record PolicySummary(String name, int contexts, int nodes, int zones, int rules, int socketLabels,
                            int transitions, int netRules, int tableEntries, String digest) {
}
