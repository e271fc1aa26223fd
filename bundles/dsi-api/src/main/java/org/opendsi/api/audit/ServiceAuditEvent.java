package org.opendsi.api.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * A security-relevant action of another security service of the node, handed to the auditing
 * service for the journal: access control loading a policy table into the kernel DSM, labeling or
 * unlabeling a binary. The auditing service journals it like a DSM event (same chain, same
 * queries), with {@code type} as the record's type.
 *
 * @param time          when it happened
 * @param service       {@code dsi.service.type} of the service that reports it ("access-control")
 * @param type          the record type: {@link AuditRecord#TYPE_POLICY_LOADED}, {@link AuditRecord#TYPE_LABEL},
 *                      {@link AuditRecord#TYPE_SERVICE}
 * @param scid          the security context concerned (a binary's new label), 0 when none
 * @param policyVersion the policy version concerned, 0 when none
 * @param path          the binary concerned, empty when none
 * @param text          one sentence in the operator's terms
 */
public record ServiceAuditEvent(Instant time, String service, String type, int scid, long policyVersion, String path,
                                String text) {

    public ServiceAuditEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(type, "type");
        path = path == null ? "" : path;
        Objects.requireNonNull(text, "text");
    }
}
