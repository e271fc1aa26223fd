package org.opendsi.cluster.protocol;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

import org.opendsi.keys.KeyAlgorithm;
import org.opendsi.keys.PkixValidator;
import org.opendsi.policy.PolicyPatch;

/** Signing (Security Server) and verification (Security Manager) of policy versions. */
public final class PolicySignatures {

    private PolicySignatures() {
    }

    /** Signs version {@code version} of {@code xml} whose canonical digest is {@code digest}. */
    public static SignedPolicy sign(String cluster, long version, byte[] xml, String digest, String name, PrivateKey key,
            List<X509Certificate> signerChain) {
        String sha = PolicyPatch.sha256Hex(xml);
        byte[] data = SignedPolicy.canonical(cluster, version, sha, digest);
        try {
            Signature s = Signature.getInstance(KeyAlgorithm.of(key).signatureAlgorithm());
            s.initSign(key);
            s.update(data);
            return new SignedPolicy(cluster, version, sha, digest, name, Instant.now(), s.sign(), signerChain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the policy: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code p} was signed by this cluster's Security Server: the signer chain validates
     * against {@code anchors} (and {@code crls} unless {@code revocation} is NONE) at {@code at}, its
     * leaf is {@code spiffe://<cluster>/ss}, the envelope names {@code cluster}, and the signature
     * over {@link SignedPolicy#canonical()} verifies with the leaf's key.
     */
    public static void verify(SignedPolicy p, String cluster, Collection<X509Certificate> anchors,
            Collection<X509CRL> crls, Instant at, PkixValidator.Revocation revocation) throws PolicySignatureException {
        if (!cluster.equals(p.cluster())) {
            throw new PolicySignatureException("policy v" + p.version() + " is for cluster '" + p.cluster()
                    + "', not '" + cluster + "'");
        }
        if (p.signer().isEmpty()) {
            throw new PolicySignatureException("policy v" + p.version() + " carries no signer certificate");
        }
        try {
            validateChainCached(p.signer(), anchors, crls, at, revocation, cluster);
        } catch (CertPathValidatorException e) {
            throw new PolicySignatureException("policy v" + p.version() + " refused: signer certificate not trusted ("
                    + e.getMessage() + ")", e);
        }
        X509Certificate leaf = p.signer().get(0);
        if (!verifySignature(leaf.getPublicKey(), p.canonical(), p.signature())) {
            throw new PolicySignatureException("policy v" + p.version() + " refused: the signature does not verify");
        }
    }

    /** Checks that {@code xml} is the exact source the envelope was signed for. */
    public static void checkContent(SignedPolicy p, byte[] xml) throws PolicySignatureException {
        String sha = PolicyPatch.sha256Hex(xml);
        if (!sha.equals(p.sha256())) {
            throw new PolicySignatureException("policy v" + p.version() + " refused: its source hashes to " + sha
                    + ", the signature is for " + p.sha256());
        }
    }

    static boolean verifySignature(PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature s = Signature.getInstance(KeyAlgorithm.of(key).signatureAlgorithm());
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }


    /**
     * Every policy message carries the same SS chain; a full PKIX validation per message cost an SM
     * ~2 ms (the bulk of a 1000-node push on shared cores). A successful validation is remembered
     * for exactly these certificates, anchors, CRLs and revocation mode, and only while every
     * certificate and CRL involved is within its validity window; anything else validates again.
     */
    private static final java.util.Map<String, Instant[]> VALIDATED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int VALIDATED_MAX = 64;

    static void validateChainCached(java.util.List<X509Certificate> chain, Collection<X509Certificate> anchors,
            Collection<X509CRL> crls, Instant at, PkixValidator.Revocation revocation, String cluster)
            throws CertPathValidatorException {
        String key;
        Instant from = Instant.MIN;
        Instant until = Instant.MAX;
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update((revocation.name() + "\0" + cluster + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (X509Certificate c : chain) {
                md.update(c.getEncoded());
                from = max(from, c.getNotBefore().toInstant());
                until = min(until, c.getNotAfter().toInstant());
            }
            md.update((byte) 0);
            for (X509Certificate c : anchors) {
                md.update(c.getEncoded());
                until = min(until, c.getNotAfter().toInstant());
            }
            md.update((byte) 0);
            for (X509CRL crl : crls) {
                md.update(crl.getEncoded());
                if (crl.getNextUpdate() != null) {
                    until = min(until, crl.getNextUpdate().toInstant());
                }
            }
            key = java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.GeneralSecurityException e) {
            validateSigner(chain, anchors, crls, at, revocation, cluster);
            return;
        }
        Instant[] window = VALIDATED.get(key);
        if (window != null && !at.isBefore(window[0]) && at.isBefore(window[1])) {
            return;
        }
        validateSigner(chain, anchors, crls, at, revocation, cluster);
        if (VALIDATED.size() >= VALIDATED_MAX) {
            VALIDATED.clear();
        }
        VALIDATED.put(key, new Instant[] {from, until});
    }

    /** The signer must be the Security Server's own certificate, issued by the root itself. */
    private static void validateSigner(java.util.List<X509Certificate> chain, Collection<X509Certificate> anchors,
            Collection<X509CRL> crls, Instant at, PkixValidator.Revocation revocation, String cluster)
            throws CertPathValidatorException {
        PkixValidator.validateIdentity(chain, anchors, crls, at, revocation, cluster,
                java.util.Set.of(org.opendsi.keys.CertificateRole.SERVER));
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
