package org.opendsi.api.policy;

import org.opendsi.api.table.CompiledTable;

/**
 * Whiteboard: services registered under this interface are told each time a policy becomes
 * current (update, rollback, and once on registration if one is current). The DSM side uses it to
 * load tables into the kernel.
 */
public interface PolicyListener {
    void policyApplied(PolicyVersion version, CompiledTable table);
}
