package org.opendsi.cluster.protocol;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.PkixValidator;
import org.opendsi.scc.SccPeerValidator;

/**
 * Who may be on the other end of the cluster's SCC, as key management's validator checks it: the
 * Security Server takes only node channel certificates (issued by the root; never a process
 * certificate, a node CA, or an identity a node CA minted), and a Security Manager takes only the
 * Security Server's own certificate.
 */
public final class ClusterTrust {

    private ClusterTrust() {
    }

    /**
     * The hub's check of a node: its own root CRL is always current here, so revocation is hard (no
     * current CRL covering the chain = refused).
     */
    public static SccPeerValidator nodesOf(String cluster, List<X509Certificate> anchors,
            Supplier<? extends Collection<X509CRL>> crls) {
        return chain -> check(chain, anchors, crls.get(), PkixValidator.Revocation.ROOT_REQUIRED, cluster,
                CertificateRole.CHANNEL);
    }

    /**
     * A node's check of the hub: a {@link CertificateRole#SERVER} certificate of the root, covered by
     * a current root CRL (no current CRL = refused). A node whose CRL went stale gets a current one
     * from the join endpoint ({@link JoinClient#fetchCrl}), not over the connection it would have to
     * trust first.
     */
    public static SccPeerValidator securityServerOf(String cluster, List<X509Certificate> anchors,
            Supplier<? extends Collection<X509CRL>> crls) {
        return chain -> check(chain, anchors, crls.get(), PkixValidator.Revocation.ROOT_REQUIRED, cluster,
                CertificateRole.SERVER);
    }

    private static void check(List<X509Certificate> chain, List<X509Certificate> anchors, Collection<X509CRL> crls,
            PkixValidator.Revocation revocation, String cluster, CertificateRole role) throws CertificateException {
        try {
            PkixValidator.validateIdentity(chain, anchors, crls, Instant.now(), revocation, cluster, Set.of(role));
        } catch (CertPathValidatorException e) {
            throw new CertificateException("certificate of " + chain.get(0).getSubjectX500Principal().getName()
                    + " refused: " + e.getMessage(), e);
        }
    }
}
