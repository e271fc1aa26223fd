package org.opendsi.keys;

import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A TLS identity in plain Java types, what the SCC needs: the private key (possibly a hardware
 * handle), the chain leaf first (without the root), the trust anchors (the cluster root) and the
 * CRLs current when this snapshot was taken (for fresh CRLs use a supplier such as
 * {@link NodeKeys#crls()} per handshake, as {@link DsiTls} does).
 */
public record Credentials(SpiffeId id, PrivateKey privateKey, List<X509Certificate> chain,
        List<X509Certificate> trustAnchors, List<X509CRL> crls) {
    public Credentials {
        chain = List.copyOf(chain);
        trustAnchors = List.copyOf(trustAnchors);
        crls = List.copyOf(crls);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }
}
