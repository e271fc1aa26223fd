package org.opendsi.keys;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * RFC 5280 path validation of a DSI chain with the JDK's PKIX {@link CertPathValidator} (which also
 * enforces basicConstraints pathLen, keyUsage keyCertSign and validity), plus CRL checking.
 */
public final class PkixValidator {

    /** How revocation is checked. */
    public enum Revocation {
        /** No CRL checking (tests, or when the caller checks itself). */
        NONE,
        /**
         * The DSI default: every certificate issued by the root (node CA, channel, server) must be
         * covered by a current root CRL, so a node whose CRL is missing or stale fails closed;
         * process certificates are checked against their node CA's CRL when one is held (they live
         * an hour, and revoking their node CA revokes them too).
         */
        ROOT_REQUIRED,
        /** The JDK's PKIX revocation checker with CRLs only: every issuer's current CRL must be present. */
        ALL
    }

    private PkixValidator() {
    }

    /**
     * Validates {@code chain} (leaf first; a trailing copy of the root is ignored) against
     * {@code anchors} at {@code at}.
     *
     * @throws CertPathValidatorException when the path is invalid, revoked or its revocation status unknown
     */
    public static PKIXCertPathValidatorResult validate(List<X509Certificate> chain, Collection<X509Certificate> anchors,
            Collection<X509CRL> crls, Instant at, Revocation revocation) throws CertPathValidatorException {
        List<X509Certificate> path = new ArrayList<>(chain);
        while (!path.isEmpty() && anchors.contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        if (path.isEmpty()) {
            throw new CertPathValidatorException("the chain holds only a trust anchor");
        }
        Set<TrustAnchor> ta = new HashSet<>();
        for (X509Certificate a : anchors) {
            ta.add(new TrustAnchor(a, null));
        }
        try {
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(ta);
            params.setDate(Date.from(at));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
            CertPathValidator v = CertPathValidator.getInstance("PKIX");
            if (revocation == Revocation.ALL) {
                params.setRevocationEnabled(true);
                PKIXRevocationChecker rc = (PKIXRevocationChecker) v.getRevocationChecker();
                rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
                params.addCertPathChecker(rc);
            } else {
                params.setRevocationEnabled(false);
            }
            PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) v.validate(cp, params);
            if (revocation == Revocation.ROOT_REQUIRED) {
                checkCrls(cp, path, result.getTrustAnchor().getTrustedCert(), crls, at);
            }
            return result;
        } catch (NoSuchAlgorithmException | InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("PKIX is not available: " + e.getMessage(), e);
        } catch (CertPathValidatorException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new CertPathValidatorException("unusable chain: " + e.getMessage(), e);
        }
    }

    private static void checkCrls(CertPath cp, List<X509Certificate> path, X509Certificate anchor, Collection<X509CRL> crls, Instant at)
            throws CertPathValidatorException {
        Date now = Date.from(at);
        for (int i = path.size() - 1; i >= 0; i--) {
            X509Certificate cert = path.get(i);
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchor;
            boolean rootIssued = issuer == anchor;
            boolean covered = false;
            for (X509CRL crl : crls) {
                if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
                    continue;
                }
                try {
                    crl.verify(issuer.getPublicKey());
                } catch (GeneralSecurityException e) {
                    continue; // another key of the same name (e.g. a renewed node CA)
                }
                if (crl.getThisUpdate().after(now) || crl.getNextUpdate() == null || !crl.getNextUpdate().after(now)) {
                    continue;
                }
                covered = true;
                X509CRLEntry entry = crl.getRevokedCertificate(cert.getSerialNumber());
                if (entry != null) {
                    throw new CertPathValidatorException("certificate " + cert.getSubjectX500Principal().getName()
                            + " (serial " + cert.getSerialNumber().toString(16) + ") was revoked at "
                            + entry.getRevocationDate().toInstant()
                            + (entry.getRevocationReason() != null ? " (" + entry.getRevocationReason() + ")" : ""),
                            null, cp, i, CertPathValidatorException.BasicReason.REVOKED);
                }
            }
            if (rootIssued && !covered) {
                throw new CertPathValidatorException("no current CRL of the cluster root covers "
                        + cert.getSubjectX500Principal().getName() + ": revocation status unknown", null, cp, i,
                        CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS);
            }
        }
    }
}
