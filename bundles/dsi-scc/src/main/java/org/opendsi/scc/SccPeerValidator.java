package org.opendsi.scc;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Decides whether a peer's certificate chain (leaf first, as presented in a TLS handshake or a
 * {@code REAUTH}) is acceptable: the owner of an endpoint states which identities it takes (e.g. a
 * Security Server takes node channel certificates only). Called on every handshake and every
 * re-authentication, and by {@code revalidatePeers} / {@code revalidateServer}.
 */
@FunctionalInterface
public interface SccPeerValidator {
    /** @throws CertificateException naming why the chain is refused */
    void validate(List<X509Certificate> chain) throws CertificateException;
}
