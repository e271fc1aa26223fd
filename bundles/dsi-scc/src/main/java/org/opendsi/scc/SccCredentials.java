package org.opendsi.scc;

import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

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
 */
public record SccCredentials(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors,
                             Supplier<Collection<X509CRL>> revocations) {
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
    }

    /** Credentials without any revocation list. */
    public SccCredentials(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors) {
        this(key, chain, trustAnchors, List::of);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }
}
