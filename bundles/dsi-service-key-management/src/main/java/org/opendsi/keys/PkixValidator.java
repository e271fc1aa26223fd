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
 * The one validation of DSI certificate chains: RFC 5280 path validation with the JDK's PKIX
 * {@link CertPathValidator} (which also enforces basicConstraints pathLen, keyUsage keyCertSign and
 * validity), CRL checking, and ({@link #validateIdentity}) DSI's identity rules, which say who may
 * issue what. The SCC's trust managers, the policy signature check and process TLS all use it.
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
        ALL,
        /**
         * The CRLs held are applied, whatever their age, when their signature verifies with the issuer's
         * key; a certificate whose issuer has no CRL here is not checked. For a Security Manager checking
         * the Security Server's TLS certificate: it needs that connection to receive a current CRL at all.
         */
        HELD
    }

    /** A chain that validated, and what its leaf is. */
    public record Identity(SpiffeId id, CertificateRole role) {
    }

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

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
            if (revocation == Revocation.ROOT_REQUIRED || revocation == Revocation.HELD) {
                checkCrls(cp, path, result.getTrustAnchor().getTrustedCert(), crls, at, revocation);
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

    /**
     * {@link #validate} and then DSI's identity rules, on the path PKIX validated (never on extra
     * certificates a peer appends):
     * <ul>
     * <li>the leaf carries a DSI id of {@code cluster};</li>
     * <li>issued by the root itself: {@code /ss} is the {@link CertificateRole#SERVER} (not a CA, EKU
     * serverAuth); {@code /node/N} is that node's {@link CertificateRole#NODE_CA} (a CA) or
     * {@link CertificateRole#CHANNEL} (EKU clientAuth); a process id issued by the root is refused;</li>
     * <li>issued by a node CA ({@code /node/N}, a CA issued by the root): only
     * {@link CertificateRole#PROCESS} certificates of that same node, {@code /node/N/scid/S}. RFC 5280
     * name constraints cannot say this (a URI constraint names a host, not a path), so it is checked
     * here: the CA of one node cannot speak for the Security Server, another node, or another node's
     * processes;</li>
     * <li>the role is one of {@code accepted} (e.g. an SCC hub takes only channel certificates, so a
     * process certificate never opens an SCC session).</li>
     * </ul>
     */
    public static Identity validateIdentity(List<X509Certificate> chain, Collection<X509Certificate> anchors,
            Collection<X509CRL> crls, Instant at, Revocation revocation, String cluster, Set<CertificateRole> accepted)
            throws CertPathValidatorException {
        validate(chain, anchors, crls, at, revocation);
        List<X509Certificate> path = new ArrayList<>(chain);
        while (!path.isEmpty() && anchors.contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        SpiffeId id = idOf(path.get(0));
        if (!id.cluster().equals(cluster)) {
            throw refused(id + " belongs to cluster '" + id.cluster() + "', not '" + cluster + "'");
        }
        CertificateRole role = roleOf(path, id, cluster);
        if (!accepted.contains(role)) {
            throw refused("a " + role.name().toLowerCase().replace('_', ' ') + " certificate (" + id
                    + ") is not accepted here; expected " + accepted.toString().toLowerCase().replace('_', ' '));
        }
        return new Identity(id, role);
    }

    private static CertificateRole roleOf(List<X509Certificate> path, SpiffeId id, String cluster)
            throws CertPathValidatorException {
        X509Certificate leaf = path.get(0);
        boolean ca = leaf.getBasicConstraints() >= 0;
        if (path.size() == 1) { // PKIX checked that the root itself signed it
            switch (id.kind()) {
                case SERVER:
                    if (ca) {
                        throw refused(id + " is a CA certificate");
                    }
                    requireEku(leaf, SERVER_AUTH, id);
                    return CertificateRole.SERVER;
                case NODE:
                    if (ca) {
                        return CertificateRole.NODE_CA;
                    }
                    requireEku(leaf, CLIENT_AUTH, id);
                    return CertificateRole.CHANNEL;
                default:
                    throw refused("process certificate " + id + " must be issued by its node's CA, not by the root");
            }
        }
        if (path.size() == 2) {
            X509Certificate issuer = path.get(1);
            SpiffeId issuerId = idOf(issuer);
            if (issuer.getBasicConstraints() < 0 || issuerId.kind() != SpiffeId.Kind.NODE
                    || !issuerId.cluster().equals(cluster)) {
                throw refused(id + " was issued by " + issuerId + ", which is not a node CA of cluster '" + cluster + "'");
            }
            if (ca || id.kind() != SpiffeId.Kind.PROCESS || id.snid() != issuerId.snid()) {
                throw refused("the CA of node " + Integer.toUnsignedString(issuerId.snid())
                        + " may only issue process certificates under " + issuerId.uri() + "/scid/; it issued "
                        + (ca ? "a CA certificate " : "") + id);
            }
            return CertificateRole.PROCESS;
        }
        throw refused("a DSI chain is at most root, node CA, leaf; this one has " + path.size() + " certificates below the root");
    }

    private static SpiffeId idOf(X509Certificate cert) throws CertPathValidatorException {
        try {
            return SpiffeIds.parse(cert);
        } catch (IllegalArgumentException e) {
            throw refused(cert.getSubjectX500Principal().getName() + ": " + e.getMessage());
        }
    }

    private static void requireEku(X509Certificate leaf, String purpose, SpiffeId id) throws CertPathValidatorException {
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku == null || !eku.contains(purpose)) {
                throw refused(id + " lacks the " + (purpose.equals(SERVER_AUTH) ? "serverAuth" : "clientAuth")
                        + " extended key usage");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw refused(id + ": unreadable extended key usage");
        }
    }

    private static CertPathValidatorException refused(String why) {
        return new CertPathValidatorException(why);
    }

    private static void checkCrls(CertPath cp, List<X509Certificate> path, X509Certificate anchor, Collection<X509CRL> crls,
            Instant at, Revocation revocation) throws CertPathValidatorException {
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
                if (revocation == Revocation.ROOT_REQUIRED && (crl.getThisUpdate().after(now)
                        || crl.getNextUpdate() == null || !crl.getNextUpdate().after(now))) {
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
            if (revocation == Revocation.ROOT_REQUIRED && rootIssued && !covered) {
                throw new CertPathValidatorException("no current CRL of the cluster root covers "
                        + cert.getSubjectX500Principal().getName() + ": revocation status unknown", null, cp, i,
                        CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS);
            }
        }
    }
}
