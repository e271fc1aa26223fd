package org.opendsi.keys;

import java.math.BigInteger;
import java.security.cert.CRLReason;
import java.time.Instant;

/**
 * A certificate issued by the cluster root, as recorded in the CA's index ({@link CaStateStore#issued()};
 * by default {@code issued.db}).
 * {@code snid} is 0 for the server certificate; {@code revokedAt}/{@code reason} are null unless revoked.
 */
public record IssuedCertificate(BigInteger serial, CertificateRole role, int snid, String nodeName,
        Instant notBefore, Instant notAfter, Instant revokedAt, CRLReason reason) {

    public boolean revoked() {
        return revokedAt != null;
    }
}
