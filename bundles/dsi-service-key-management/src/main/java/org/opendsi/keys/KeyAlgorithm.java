package org.opendsi.keys;

/**
 * Key pair algorithms DSI generates. The default is {@link #EC_P256}: 128-bit security like
 * RSA 3072, but key generation takes about a millisecond instead of up to a second, signatures
 * and certificates are small, and every TLS 1.3 stack supports {@code ecdsa_secp256r1_sha256}.
 * {@link #RSA_3072} is there for sites whose policy or hardware requires RSA.
 */
public enum KeyAlgorithm {
    EC_P256("EC", "SHA256withECDSA"),
    RSA_3072("RSA", "SHA256withRSA");

    private final String jcaName;
    private final String signatureAlgorithm;

    KeyAlgorithm(String jcaName, String signatureAlgorithm) {
        this.jcaName = jcaName;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** JCA key algorithm name ("EC", "RSA"). */
    public String jcaName() {
        return jcaName;
    }

    /** Signature algorithm used by a CA key of this kind. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /**
     * The algorithm of a key by its JCA name ("EC", "ECDSA", "RSA"), e.g. to pick the signature
     * algorithm for it: chosen from the key, never from what a peer sends.
     *
     * @throws IllegalArgumentException for any other kind of key
     */
    public static KeyAlgorithm ofJcaName(String jcaKeyAlgorithm) {
        switch (jcaKeyAlgorithm) {
            case "EC": case "ECDSA":
                return EC_P256;
            case "RSA":
                return RSA_3072;
            default:
                throw new IllegalArgumentException("unsupported key algorithm " + jcaKeyAlgorithm + " (EC or RSA)");
        }
    }

    /** {@link #ofJcaName} of {@code key}'s algorithm. */
    public static KeyAlgorithm of(java.security.Key key) {
        return ofJcaName(key.getAlgorithm());
    }

    /** Parses "ec", "ec-p256", "rsa", "rsa-3072" (case-insensitive). */
    public static KeyAlgorithm parse(String text) {
        switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "ec": case "ec-p256": case "ec_p256": case "p256": case "p-256":
                return EC_P256;
            case "rsa": case "rsa-3072": case "rsa_3072": case "rsa3072":
                return RSA_3072;
            default:
                throw new IllegalArgumentException("unknown key algorithm '" + text + "' (use ec-p256 or rsa-3072)");
        }
    }
}
