package org.opendsi.ss.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.ss.ServerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings this node's policy service to the newest version in a shared store: a standby follows the
 * active server's versions (its own node enforces them), and a server taking over starts from the
 * version the cluster runs, under the same number.
 */
final class StoredPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(StoredPolicy.class);

    private StoredPolicy() {
    }

    /** @return the version now current here from the store, empty when the store holds none */
    static Optional<Long> adopt(ServerStore store, PolicyService policyService) {
        List<Long> versions = store.policyVersions();
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        long newest = versions.get(versions.size() - 1);
        byte[] xml = store.policy(newest).orElse(null);
        if (xml == null) {
            return Optional.empty(); // pruned between the two reads: the next round takes the newer one
        }
        Optional<PolicyVersion> cur = policyService.current();
        if (cur.isPresent() && cur.get().version() == newest
                && Arrays.equals(policyService.currentSource().orElse(null), xml)) {
            return Optional.of(newest);
        }
        String source = "shared store (policy version " + newest + ")";
        try {
            policyService.applyVersion(source, xml, newest);
            LOG.info("Policy version {} taken from the shared store", newest);
            return Optional.of(newest);
        } catch (PolicyException e) {
            if (cur.isPresent() && cur.get().version() >= newest) {
                // this node ran ahead of the store (a version it made current but could not store): the
                // cluster's policy wins, as a new version here so that numbers only grow
                try {
                    PolicyVersion v = policyService.updateSource(source, xml);
                    LOG.warn("Policy version {} of this node was never stored; the store's version {} is current again "
                            + "as version {}", cur.get().version(), newest, v.version());
                    return Optional.of(v.version());
                } catch (PolicyException again) {
                    e = again;
                }
            }
            LOG.error("Policy version {} of the shared store cannot be applied here: {}", newest, e.getMessage());
            return Optional.empty();
        }
    }
}
