package org.opendsi.dsm.internal;

import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmUnavailableException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whiteboard {@link PolicyListener}: loads every policy that becomes current into the kernel DSM
 * (CompiledTable.encode() -> dsm_load_table, an atomic table swap). Failures are logged and shown
 * by the Dsm's status (last table error); with an unavailable DSM the node stays in audit-only mode
 * and the table is loaded as soon as the DSM becomes available.
 */
@Component(service = PolicyListener.class, immediate = true, property = {"dsi.component=dsm-policy-loader"})
public class DsmPolicyLoader implements PolicyListener {

    private static final Logger LOG = LoggerFactory.getLogger(DsmPolicyLoader.class);

    @Reference
    private Dsm dsm;

    public DsmPolicyLoader() {
    }

    DsmPolicyLoader(Dsm dsm) {
        this.dsm = dsm;
    }

    @Override
    public void policyApplied(PolicyVersion version, CompiledTable table) {
        long v = table.policyVersion();
        try {
            dsm.loadTable(table);
            LOG.info("policy version {} ({}) loaded into the kernel DSM: {} access, {} socket-label, {} transition,"
                    + " {} net-rule records", v, version == null ? "?" : version.source(), table.access().size(),
                    table.socketLabels().size(), table.transitions().size(), table.netRules().size());
        } catch (DsmUnavailableException e) {
            LOG.warn("policy version {} is not enforced in the kernel: {}", v, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("loading policy version {} into the kernel DSM failed (the previous table stays in force): {}",
                    v, e.getMessage());
        }
    }
}
