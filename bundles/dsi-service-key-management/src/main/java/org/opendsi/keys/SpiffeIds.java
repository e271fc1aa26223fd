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

    /**
     * Checks that the ids along a chain (leaf first, as a TLS peer presents it) agree: all in
     * {@code cluster}; a process leaf issued by a node CA must name that node's SnID (a node CA can
     * technically sign any URI, so a compromised node could otherwise impersonate another node's
     * processes); a node or server leaf must be issued directly by the root (chain of length 1,
     * or 2 when the root itself is included).
     *
     * @return the leaf's id
     * @throws IllegalArgumentException describing the inconsistency
     */
    public static SpiffeId checkChain(List<X509Certificate> chain, String cluster) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
        SpiffeId leaf = parse(chain.get(0));
        if (!leaf.cluster().equals(cluster)) {
            throw new IllegalArgumentException("peer " + leaf + " belongs to cluster '" + leaf.cluster()
                    + "', not '" + cluster + "'");
        }
        if (leaf.kind() == SpiffeId.Kind.PROCESS) {
            if (chain.size() < 2) {
                throw new IllegalArgumentException("process certificate " + leaf + " presented without its node CA");
            }
            SpiffeId issuer = parse(chain.get(1));
            if (issuer.kind() != SpiffeId.Kind.NODE || issuer.snid() != leaf.snid() || !issuer.cluster().equals(cluster)) {
                throw new IllegalArgumentException("process certificate " + leaf + " was issued by " + issuer
                        + ", not by its own node's CA");
            }
        } else {
            for (int i = 1; i < chain.size(); i++) {
                X509Certificate c = chain.get(i);
                if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                    throw new IllegalArgumentException(leaf.kind().name().toLowerCase() + " certificate " + leaf
                            + " must be issued by the cluster root directly");
                }
            }
        }
        return leaf;
    }
}
