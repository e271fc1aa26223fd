package org.opendsi.api.audit;

import java.util.List;
import java.util.function.Consumer;

/**
 * The auditing security service of a node: a tamper-evident journal of the kernel DSM's audit
 * events and of the actions other security services report ({@link #record}). Registered with {@code dsi.service.type=auditing} and {@code dsi.service.version}.
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

    /**
     * Journals an action another security service reports (never blocks: queued for the writer
     * thread like a DSM event; counted as lost if the buffer is full). Services hold their events
     * while no AuditService is registered and hand them over when one appears.
     */
    void record(ServiceAuditEvent event);

    /** Records lost so far because the in-memory buffer overflowed (each loss is journaled too). */
    long dropped();

    /** Size and state of the journal now (cheap: no hash is checked here; {@link #verify} does that). */
    AuditJournalStatus journalStatus();
}
