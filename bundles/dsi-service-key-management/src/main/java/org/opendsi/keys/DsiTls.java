package org.opendsi.keys;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * JSSE glue for the SCC (and any TLS between DSI processes): a key manager serving the current
 * {@link Credentials}, and a trust manager validating peers with {@link PkixValidator} against the
 * current trust anchors and CRLs, requiring the right EKU and a consistent DSI SPIFFE id accepted
 * by a predicate. Both read their suppliers at every handshake, so a renewed certificate or a
 * new CRL takes effect without rebuilding the SSLContext. Netty users pass the two managers to
 * {@code SslContextBuilder.keyManager(KeyManager)} / {@code trustManager(TrustManager)}.
 */
public final class DsiTls {

    private static final String ALIAS = "dsi";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

    private DsiTls() {
    }

    /** A key manager always presenting {@code credentials.get()} (key and leaf-first chain). */
    public static X509ExtendedKeyManager keyManager(Supplier<Credentials> credentials) {
        return new X509ExtendedKeyManager() {
            private String choose(String[] keyTypes) {
                String alg = credentials.get().privateKey().getAlgorithm();
                for (String t : keyTypes) {
                    if (t.equals(alg) || ("RSA".equals(alg) && t.equals("RSASSA-PSS"))) {
                        return ALIAS;
                    }
                }
                return null;
            }

            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return choose(new String[] {keyType}) == null ? null : new String[] {ALIAS};
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return choose(keyType);
            }

            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return choose(keyType);
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return getClientAliases(keyType, issuers);
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return choose(new String[] {keyType});
            }

            @Override
            public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
                return choose(new String[] {keyType});
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return ALIAS.equals(alias) ? credentials.get().chain().toArray(new X509Certificate[0]) : null;
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return ALIAS.equals(alias) ? credentials.get().privateKey() : null;
            }
        };
    }

    /** Every leaf role: which peers a connection takes is the caller's {@code acceptPeer} decision. */
    private static final java.util.Set<CertificateRole> ANY_LEAF =
            java.util.EnumSet.of(CertificateRole.SERVER, CertificateRole.CHANNEL, CertificateRole.PROCESS);

    /**
     * A trust manager for DSI peers of {@code cluster}.
     *
     * @param anchors    trust anchors, read per handshake (normally {@code [root]})
     * @param crls       CRLs, read per handshake (e.g. {@link NodeKeys#crlSupplier()}, or {@code () -> List.of(ca.crl())} on the SS)
     * @param revocation how CRLs are applied ({@link PkixValidator.Revocation#ROOT_REQUIRED} for the SCC)
     * @param acceptPeer decides on the validated peer id, e.g. {@code id -> id.kind() == SpiffeId.Kind.NODE} on the SS
     */
    public static X509ExtendedTrustManager trustManager(String cluster, Supplier<? extends Collection<X509Certificate>> anchors,
            Supplier<? extends Collection<X509CRL>> crls, PkixValidator.Revocation revocation, Predicate<SpiffeId> acceptPeer) {
        return trustManager(cluster, anchors, crls, revocation, acceptPeer, Clock.systemUTC());
    }

    /** As above, validating at {@code clock}'s time. */
    public static X509ExtendedTrustManager trustManager(String cluster, Supplier<? extends Collection<X509Certificate>> anchors,
            Supplier<? extends Collection<X509CRL>> crls, PkixValidator.Revocation revocation, Predicate<SpiffeId> acceptPeer,
            Clock clock) {
        return new X509ExtendedTrustManager() {
            private void check(X509Certificate[] chain, String purpose) throws CertificateException {
                if (chain == null || chain.length == 0) {
                    throw new CertificateException("the peer presented no certificate");
                }
                List<X509Certificate> list = Arrays.asList(chain);
                SpiffeId id;
                try {
                    id = PkixValidator.validateIdentity(list, anchors.get(), crls.get(), clock.instant(), revocation,
                            cluster, ANY_LEAF).id();
                } catch (CertPathValidatorException e) {
                    throw new CertificateException("peer certificate refused: " + e.getMessage(), e);
                }
                try {
                    List<String> eku = chain[0].getExtendedKeyUsage();
                    if (eku != null && !eku.contains(purpose)) {
                        throw new CertificateException("peer certificate lacks the "
                                + (purpose.equals(CLIENT_AUTH) ? "clientAuth" : "serverAuth") + " extended key usage");
                    }
                } catch (CertificateParsingException e) {
                    throw new CertificateException("unreadable extended key usage", e);
                }
                if (!acceptPeer.test(id)) {
                    throw new CertificateException("peer " + id + " is not allowed on this connection");
                }
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                check(chain, CLIENT_AUTH);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                check(chain, SERVER_AUTH);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
                check(chain, CLIENT_AUTH);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
                check(chain, SERVER_AUTH);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
                check(chain, CLIENT_AUTH);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
                check(chain, SERVER_AUTH);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return anchors.get().toArray(new X509Certificate[0]);
            }
        };
    }

    /** A TLSv1.3 {@link SSLContext} with the two managers (server code must still require client auth). */
    public static SSLContext sslContext(X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trustManager) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(new KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot create a TLSv1.3 context: " + e.getMessage(), e);
        }
    }

    /** The validated peer's DSI id after a handshake. */
    public static SpiffeId peerId(SSLSession session) throws SSLPeerUnverifiedException {
        Certificate[] peer = session.getPeerCertificates();
        return SpiffeIds.parse((X509Certificate) peer[0]);
    }
}
