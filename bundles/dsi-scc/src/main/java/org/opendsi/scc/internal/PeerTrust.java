package org.opendsi.scc.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.opendsi.scc.SccCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS trust manager of an SCC endpoint: the credentials' {@link org.opendsi.scc.SccPeerValidator}
 * (key management's validation) decides on the peer chain, and, on the client side, the server's
 * leaf must carry the Security Server URI SAN. Replaces JSSE hostname verification.
 */
final class PeerTrust extends X509ExtendedTrustManager {
    private static final Logger LOG = LoggerFactory.getLogger(PeerTrust.class);

    private final String serverIdentityPrefix; // null on the server side
    private volatile SccCredentials credentials;

    PeerTrust(SccCredentials credentials, String serverIdentityPrefix) {
        this.serverIdentityPrefix = serverIdentityPrefix;
        update(credentials);
    }

    /** Validates with the renewed credentials' validator from the next check on. */
    void update(SccCredentials renewed) {
        credentials = renewed;
    }

    /** The identity a peer certificate names: its first URI SAN, or its subject DN when it has none. */
    static String identityOf(X509Certificate leaf) {
        return firstUriSan(leaf).orElse(leaf.getSubjectX500Principal().getName());
    }

    /** The endpoint's validation of the chain, and (client side) the server identity. */
    void validate(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("peer presented no certificate");
        }
        credentials.peerValidator().validate(List.of(chain));
        if (serverIdentityPrefix != null) {
            checkServerIdentity(chain[0]);
        }
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
