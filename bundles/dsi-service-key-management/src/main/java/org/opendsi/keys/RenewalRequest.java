package org.opendsi.keys;

import java.security.cert.X509Certificate;

/**
 * A renewal request from a node to the Security Server: a CSR for a new key pair, the current
 * certificate being renewed, and a proof of possession of the current key (a signature by the
 * current private key over the CSR's DER bytes, with the algorithm {@code SHA256withECDSA} or
 * {@code SHA256withRSA} matching that key). The Security Server accepts it only while the current
 * certificate is its own, unexpired and unrevoked ({@link ClusterCa#renew}).
 */
public record RenewalRequest(CertificateRole role, byte[] csr, X509Certificate current, byte[] proof) {
    public RenewalRequest {
        csr = csr.clone();
        proof = proof == null ? null : proof.clone();
    }

    @Override
    public byte[] csr() {
        return csr.clone();
    }

    @Override
    public byte[] proof() {
        return proof == null ? null : proof.clone();
    }
}
