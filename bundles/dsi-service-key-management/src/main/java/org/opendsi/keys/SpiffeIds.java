package org.opendsi.keys;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Reads DSI SPIFFE ids out of certificates. */
public final class SpiffeIds {

    /** GeneralName tag of uniformResourceIdentifier. */
    private static final int URI = 6;

    private SpiffeIds() {
    }

    /**
     * The DSI id of a certificate: its one {@code spiffe://} URI SAN, parsed.
     *
     * @throws IllegalArgumentException when the certificate has none, several, or a malformed one
     */
    public static SpiffeId parse(X509Certificate cert) {
        List<String> uris = spiffeUris(cert);
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("certificate " + cert.getSubjectX500Principal().getName()
                    + " carries no spiffe:// URI SAN");
        }
        if (uris.size() > 1) {
            throw new IllegalArgumentException("certificate " + cert.getSubjectX500Principal().getName()
                    + " carries " + uris.size() + " spiffe:// URI SANs; exactly one is allowed");
        }
        return SpiffeId.parse(uris.get(0));
    }

    /** Like {@link #parse(X509Certificate)} but empty instead of throwing. */
    public static Optional<SpiffeId> find(X509Certificate cert) {
        try {
            return Optional.of(parse(cert));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static List<String> spiffeUris(X509Certificate cert) {
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("unreadable subjectAltName: " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        if (sans != null) {
            for (List<?> san : sans) {
                if (((Integer) san.get(0)) == URI && String.valueOf(san.get(1)).startsWith("spiffe://")) {
                    out.add(String.valueOf(san.get(1)));
                }
            }
        }
        return out;
    }
}
