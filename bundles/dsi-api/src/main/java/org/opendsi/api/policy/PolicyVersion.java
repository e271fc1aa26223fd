package org.opendsi.api.policy;

import java.time.Instant;

/**
 * One version in a node's policy history.
 *
 * @param version   monotonically increasing version number
 * @param appliedAt when it was made current
 * @param source    where it came from (file path, "rollback to N", ...)
 * @param summary   counts and digest
 */
public record PolicyVersion(long version, Instant appliedAt, String source, PolicySummary summary) {
}
