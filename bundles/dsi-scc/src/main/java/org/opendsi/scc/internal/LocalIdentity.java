package org.opendsi.scc.internal;

import io.netty.handler.ssl.SslContext;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import org.opendsi.keys.KeyAlgorithm;
import org.opendsi.scc.SccCredentials;

/**
 * What one endpoint presents at a given moment: its credentials and the TLS context built from them.
 * Servers and clients swap the whole object when their certificate is renewed; each connection
 * remembers the one it last presented, so it knows whether it still has to re-authenticate.
 */
record LocalIdentity(SccCredentials credentials, SslContext sslContext) {

    /** Signs {@code data} with this identity's private key (SHA-256 with the key's own algorithm). */
    byte[] sign(byte[] data) throws GeneralSecurityException {
        PrivateKey key = credentials.key();
        Signature s = Signature.getInstance(KeyAlgorithm.of(key).signatureAlgorithm());
        s.initSign(key);
        s.update(data);
        return s.sign();
    }
}
