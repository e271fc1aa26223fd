package org.opendsi.keys;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where DSI's private keys live. The default is {@link Pkcs12KeyStoreProvider} (a PKCS#12 file,
 * mode 600). A hardware or PKCS#11 provider plugs in as an OSGi service of this interface with the
 * service property {@value #TYPE_PROPERTY} (e.g. {@code pkcs11}); the key-management component
 * selects it with its {@code keystore.type} setting. Private keys are generated inside the
 * provider and may be non-extractable handles: DSI only ever signs with them.
 *
 * <p>Aliases are opaque to the provider; DSI gives every generated key a fresh alias (renewal creates
 * a new one and deletes the old) so a provider never has to move a key between aliases.
 */
public interface KeyStoreProvider {

    /** Service property naming the provider type. */
    String TYPE_PROPERTY = "dsi.keystore.type";
    /** Type of the built-in PKCS#12 file provider. */
    String PKCS12 = "pkcs12";

    /** The provider type, the value of {@value #TYPE_PROPERTY}. */
    String type();

    /**
     * Generates a key pair under {@code alias} (which must be free) and persists it. Until
     * {@link #setCertificateChain} the entry may carry a placeholder certificate.
     */
    KeyPair generateKeyPair(String alias, KeyAlgorithm algorithm);

    /**
     * Attaches the issued chain (leaf first) to the key under {@code alias}.
     *
     * @throws PkiException when the leaf's public key is not the alias's key
     */
    void setCertificateChain(String alias, List<X509Certificate> chain);

    /** The private key (possibly a handle), or empty when the alias holds none. */
    Optional<PrivateKey> privateKey(String alias);

    /** The chain attached to {@code alias}, leaf first (a placeholder before {@link #setCertificateChain}); empty when absent. */
    List<X509Certificate> certificateChain(String alias);

    boolean contains(String alias);

    /** Destroys the key under {@code alias}; no-op when absent. */
    void delete(String alias);

    Set<String> aliases();
}
