package org.opendsi.scc.internal;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.opendsi.scc.SccCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies a peer chain with PKIX against the cluster trust anchors and the CRLs current at the time
 * of the call (the credentials' supplier is asked every time), and, on the client side, that the
 * server's leaf carries the Security Server URI SAN. Replaces JSSE hostname verification.
 */
final class PeerTrust extends X509ExtendedTrustManager {
    private static final Logger LOG = LoggerFactory.getLogger(PeerTrust.class);

    private final String serverIdentityPrefix; // null on the server side
    private volatile SccCredentials credentials;
    private volatile Set<TrustAnchor> anchors;

    PeerTrust(SccCredentials credentials, String serverIdentityPrefix) {
        this.serverIdentityPrefix = serverIdentityPrefix;
        update(credentials);
    }

    /** Trusts the anchors and revocation lists of renewed credentials from the next validation on. */
    void update(SccCredentials renewed) {
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate c : renewed.trustAnchors()) {
            a.add(new TrustAnchor(c, null));
        }
        anchors = Set.copyOf(a);
        credentials = renewed;
    }

    /** The identity a peer certificate names: its first URI SAN, or its subject DN when it has none. */
    static String identityOf(X509Certificate leaf) {
        return firstUriSan(leaf).orElse(leaf.getSubjectX500Principal().getName());
    }

    /** Full validation: chain to an anchor, validity dates, CRLs, and (client side) server identity. */
    void validate(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("peer presented no certificate");
        }
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!isAnchor(c)) {
                path.add(c);
            }
        }
        if (path.isEmpty()) {
            throw new CertificateException("peer presented only a trust anchor");
        }
        Set<TrustAnchor> anchors = this.anchors;
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPath cp = cf.generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false); // CRLs are checked below, soft when no CRL of that issuer is known
            CertPathValidator.getInstance("PKIX").validate(cp, params);
        } catch (CertPathValidatorException e) {
            throw new CertificateException("certificate path of " + chain[0].getSubjectX500Principal()
                    + " rejected: " + e.getMessage() + (e.getReason() != null ? " (" + e.getReason() + ")" : ""), e);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("cannot validate certificate path: " + e.getMessage(), e);
        }
        checkRevocation(path);
        if (serverIdentityPrefix != null) {
            checkServerIdentity(chain[0]);
        }
    }

    private boolean isAnchor(X509Certificate c) {
        for (TrustAnchor a : anchors) {
            if (a.getTrustedCert().equals(c)) {
                return true;
            }
        }
        return false;
    }

    private void checkRevocation(List<X509Certificate> path) throws CertificateException {
        Collection<X509CRL> crls;
        try {
            crls = credentials.revocations().get();
        } catch (RuntimeException e) {
            throw new CertificateException("revocation list unavailable: " + e.getMessage(), e);
        }
        if (crls == null || crls.isEmpty()) {
            return;
        }
        for (int i = 0; i < path.size(); i++) {
            X509Certificate cert = path.get(i);
            PublicKey issuerKey = issuerKey(path, i);
            for (X509CRL crl : crls) {
                if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
                    continue;
                }
                if (issuerKey != null) {
                    try {
                        crl.verify(issuerKey);
                    } catch (GeneralSecurityException e) {
                        LOG.warn("ignoring CRL of {} with a bad signature: {}", crl.getIssuerX500Principal(),
                                e.getMessage());
                        continue;
                    }
                }
                if (crl.isRevoked(cert)) {
                    throw new CertificateException("certificate " + cert.getSubjectX500Principal() + " (serial "
                            + cert.getSerialNumber().toString(16) + ") is revoked");
                }
            }
        }
    }

    private PublicKey issuerKey(List<X509Certificate> path, int i) {
        X509Certificate cert = path.get(i);
        if (i + 1 < path.size()
                && path.get(i + 1).getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return path.get(i + 1).getPublicKey();
        }
        for (TrustAnchor a : anchors) {
            if (a.getTrustedCert().getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                return a.getTrustedCert().getPublicKey();
            }
        }
        return null;
    }

    private void checkServerIdentity(X509Certificate leaf) throws CertificateException {
        for (String uri : uriSans(leaf)) {
            if (uri.startsWith(serverIdentityPrefix)) {
                return;
            }
        }
        throw new CertificateException("server certificate " + leaf.getSubjectX500Principal()
                + " does not carry the Security Server identity (URI SAN " + serverIdentityPrefix + "...), it has "
                + uriSans(leaf));
    }

    static List<String> uriSans(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(6).equals(san.get(0))) {
                        out.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            LOG.debug("unparsable SAN in {}", cert.getSubjectX500Principal(), e);
        }
        return out;
    }

    static Optional<String> firstUriSan(X509Certificate cert) {
        List<String> l = uriSans(cert);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        validateLogged(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        validateLogged(chain, "server");
    }

    private void validateLogged(X509Certificate[] chain, String what) throws CertificateException {
        try {
            validate(chain);
        } catch (CertificateException e) {
            LOG.warn("SCC: rejected {} certificate: {}", what, e.getMessage());
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        validateLogged(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        validateLogged(chain, "server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        validateLogged(chain, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        validateLogged(chain, "server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return credentials.trustAnchors().toArray(new X509Certificate[0]);
    }
}
