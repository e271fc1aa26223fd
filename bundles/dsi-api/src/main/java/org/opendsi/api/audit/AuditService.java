package org.opendsi.api.audit;

import java.util.List;
import java.util.function.Consumer;

/**
 * The auditing security service of a node: a tamper-evident journal of the kernel DSM's audit
 * events. Registered with {@code dsi.service.type=auditing} and {@code dsi.service.version}.
 */
public interface AuditService {

    /** Value of the {@code dsi.service.type} service property. */
    String SERVICE_TYPE = "auditing";

    /** Records matching the query, oldest first (the most recent {@code limit} when limited). */
    List<AuditRecord> query(AuditQuery query);

    /**
     * Calls the consumer (on the service's writer thread: return quickly) with every new record
     * matching the query, once it is in the journal, until the returned handle is closed.
     */
    AutoCloseable follow(AuditQuery query, Consumer<AuditRecord> consumer);

    /** Checks the whole hash chain and reports the first broken link. */
    AuditVerification verify();

    /** Records lost so far because the in-memory buffer overflowed (each loss is journaled too). */
    long dropped();
}
