package org.opendsi.api.auth;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate issued to a process.
 *
 * @param pid      the process asked for
 * @param scid     its security context (unsigned 32 bits in an int)
 * @param snid     the issuing node
 * @param spiffeId the URI SAN, {@code spiffe://<cluster>/node/<snid>/scid/<scid>}
 * @param chain    {@code [process certificate, node CA certificate]}
 * @param root     the cluster root CA certificate (trust anchor)
 */
public record ProcessCertificate(int pid, int scid, int snid, String spiffeId, List<X509Certificate> chain,
        X509Certificate root) {
    public ProcessCertificate {
        chain = List.copyOf(chain);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }
}
