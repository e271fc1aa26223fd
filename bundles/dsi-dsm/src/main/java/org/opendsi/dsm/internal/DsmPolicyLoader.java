package org.opendsi.dsm.internal;

import org.opendsi.api.access.AccessControlService;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmUnavailableException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whiteboard {@link PolicyListener}: loads every policy that becomes current into the kernel DSM
 * (CompiledTable.encode() -> dsm_load_table, an atomic table swap). Failures are logged and shown
 * by the Dsm's status (last table error); with an unavailable DSM the node stays in audit-only mode
 * and the table is loaded as soon as the DSM becomes available.
 *
 * <p>This is the fallback: while an {@link AccessControlService} is registered, that service turns
 * each applied policy into DSM tables (contexts + table) and this loader steps aside. While access
 * control is stopped or being replaced, the kernel keeps the last table (the maps are pinned); a
 * policy applied meanwhile is loaded here.
 */
@Component(service = PolicyListener.class, immediate = true, property = {"dsi.component=dsm-policy-loader"})
public class DsmPolicyLoader implements PolicyListener {

    private static final Logger LOG = LoggerFactory.getLogger(DsmPolicyLoader.class);

    @Reference
    private Dsm dsm;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile AccessControlService accessControl;

    public DsmPolicyLoader() {
    }

    DsmPolicyLoader(Dsm dsm) {
        this.dsm = dsm;
    }

    @Override
    public void policyApplied(PolicyVersion version, CompiledTable table) {
        long v = table.policyVersion();
        if (accessControl != null) {
            LOG.debug("policy version {} is loaded by the access control service", v);
            return;
        }
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
