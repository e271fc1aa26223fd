package org.opendsi.scc;

import java.security.PrivateKey;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.opendsi.keys.PkixValidator;

/**
 * What one SCC endpoint authenticates with and trusts.
 *
 * @param key          private key of the leaf certificate
 * @param chain        own certificate chain, leaf first (leaf, node CA, ...); the root may be omitted
 * @param trustAnchors the cluster root CA certificate(s); peers must chain to one of them
 * @param revocations  current CRLs, consulted on <em>every</em> handshake so that a revocation
 *                     published later takes effect for new connections. Connections that are already
 *                     open are re-checked by {@link SccServer#revalidatePeers()} /
 *                     {@link SccClient#revalidateServer()}, which the owner calls after a CRL update.
 * @param peerValidator the one check of a peer chain; without one, key management's PKIX validation
 *                     against {@code trustAnchors} with the {@code revocations} held
 *                     ({@link PkixValidator.Revocation#HELD}). DSI's Security Server and Managers pass
 *                     one that also enforces who may issue what and which roles they take.
 */
public record SccCredentials(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors,
                             Supplier<Collection<X509CRL>> revocations, SccPeerValidator peerValidator) {
    public SccCredentials {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        trustAnchors = List.copyOf(trustAnchors);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain must contain at least the leaf certificate");
        }
        if (trustAnchors.isEmpty()) {
            throw new IllegalArgumentException("at least one trust anchor (the cluster root CA) is required");
        }
        if (revocations == null) {
            revocations = List::of;
        }
        if (peerValidator == null) {
            List<X509Certificate> anchors = trustAnchors;
            Supplier<Collection<X509CRL>> crls = revocations;
            peerValidator = peer -> {
                try {
                    PkixValidator.validate(peer, anchors, crls.get(), Instant.now(), PkixValidator.Revocation.HELD);
                } catch (CertPathValidatorException e) {
                    throw new CertificateException("certificate path of " + peer.get(0).getSubjectX500Principal()
                            + " rejected: " + e.getMessage(), e);
                }
            };
        }
    }

    /** Credentials checked by key management's PKIX validation with the revocation lists held. */
    public SccCredentials(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors,
                          Supplier<Collection<X509CRL>> revocations) {
        this(key, chain, trustAnchors, revocations, null);
    }

    /** Credentials without any revocation list. */
    public SccCredentials(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors) {
        this(key, chain, trustAnchors, List::of, null);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }
}
