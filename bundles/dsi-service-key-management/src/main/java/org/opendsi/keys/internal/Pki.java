package org.opendsi.keys.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.opendsi.keys.KeyAlgorithm;
import org.opendsi.keys.PkiException;

/**
 * Certificate, CSR and CRL construction with BouncyCastle's PKIX API. Signing and verification go
 * through the default JCA providers (no BouncyCastle provider is registered, so nothing global
 * changes in the OSGi framework, and a PKCS#11 private key works as a signer).
 */
public final class Pki {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Extension profile of an issued certificate. */
    public enum Profile {
        ROOT_CA, NODE_CA, CHANNEL, SERVER, PROCESS
    }

    private Pki() {
    }

    public static KeyPair generateKeyPair(KeyAlgorithm alg) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(alg.jcaName());
            if (alg == KeyAlgorithm.EC_P256) {
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            } else {
                g.initialize(new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4), RANDOM);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot generate a " + alg + " key pair: " + e.getMessage(), e);
        }
    }

    /** Signature algorithm for a signing key of this type (JCA name of the key). */
    public static String signatureAlgorithm(String keyAlgorithm) {
        try {
            return KeyAlgorithm.ofJcaName(keyAlgorithm).signatureAlgorithm();
        } catch (IllegalArgumentException e) {
            throw new PkiException("unsupported signing key algorithm " + keyAlgorithm);
        }
    }

    /** A positive random 127-bit serial (at most 16 octets, always unique in practice). */
    public static BigInteger randomSerial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }

    public static ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(signatureAlgorithm(key.getAlgorithm())).setSecureRandom(RANDOM).build(key);
        } catch (OperatorCreationException e) {
            throw new PkiException("cannot sign with " + key.getAlgorithm() + " key: " + e.getMessage(), e);
        }
    }

    /**
     * Builds and signs a certificate.
     *
     * @param issuerCert null for a self-signed certificate (subject is also the issuer)
     * @param uris       URI SANs (may be empty)
     * @param dnsNames   DNS SANs (may be empty)
     * @param ips        IP address SANs (may be empty)
     */
    public static X509Certificate issue(Profile profile, X500Principal subject, PublicKey subjectKey,
            X509Certificate issuerCert, PrivateKey issuerKey, Instant notBefore, Instant notAfter,
            List<String> uris, List<String> dnsNames, List<String> ips) {
        try {
            X500Name subjectName = X500Name.getInstance(subject.getEncoded());
            X500Name issuerName = issuerCert == null ? subjectName
                    : X500Name.getInstance(issuerCert.getSubjectX500Principal().getEncoded());
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, randomSerial(),
                    Date.from(notBefore), Date.from(notAfter), subjectName, subjectKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
            if (issuerCert != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
            }
            boolean rsa = "RSA".equals(subjectKey.getAlgorithm());
            switch (profile) {
                case ROOT_CA:
                    // pathLen 1: root -> node CA (pathLen 0) -> leaf is the deepest chain DSI allows
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                    break;
                case NODE_CA:
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                    b.addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
                    break;
                case CHANNEL:
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, leafUsage(rsa));
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
                    break;
                case SERVER:
                case PROCESS:
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, leafUsage(rsa));
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
                    break;
                default:
                    throw new IllegalStateException();
            }
            GeneralName[] names = new GeneralName[uris.size() + dnsNames.size() + ips.size()];
            int i = 0;
            for (String u : uris) {
                names[i++] = new GeneralName(GeneralName.uniformResourceIdentifier, u);
            }
            for (String d : dnsNames) {
                names[i++] = new GeneralName(GeneralName.dNSName, d);
            }
            for (String ip : ips) {
                names[i++] = new GeneralName(GeneralName.iPAddress, ip);
            }
            if (names.length > 0) {
                // critical when the subject DN is empty (RFC 5280 4.2.1.6); ours never is, so non-critical
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            X509CertificateHolder h = b.build(signer(issuerKey));
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (IOException | GeneralSecurityException e) {
            throw new PkiException("cannot issue a " + profile + " certificate: " + e.getMessage(), e);
        }
    }

    private static KeyUsage leafUsage(boolean rsa) {
        return new KeyUsage(rsa ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature);
    }

    /** A PKCS#10 request, DER-encoded, for {@code keys} with subject {@code subject}. */
    public static byte[] csr(X500Principal subject, KeyPair keys) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic())
                    .build(signer(keys.getPrivate())).getEncoded();
        } catch (IOException e) {
            throw new PkiException("cannot build a CSR: " + e.getMessage(), e);
        }
    }

    /**
     * Parses a DER PKCS#10 request, checks its self-signature and the strength of its key, and
     * returns the requested public key. The CSR's subject and requested extensions are ignored:
     * the CA decides every field of what it issues.
     */
    public static PublicKey verifiedCsrKey(byte[] der) {
        JcaPKCS10CertificationRequest csr;
        try {
            csr = new JcaPKCS10CertificationRequest(new PKCS10CertificationRequest(der));
        } catch (IOException | RuntimeException e) {
            throw new PkiException("the certificate request is not a valid DER PKCS#10 request: " + e.getMessage(), e);
        }
        PublicKey key;
        try {
            key = csr.getPublicKey();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException("the certificate request carries an unreadable public key: " + e.getMessage(), e);
        }
        checkKeyStrength(key);
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new PkiException("the certificate request's signature does not verify with its own public key"
                        + " (corrupted or forged request)");
            }
        } catch (OperatorCreationException | PKCSException e) {
            throw new PkiException("the certificate request's signature cannot be checked: " + e.getMessage(), e);
        }
        return key;
    }

    /** Accepts EC P-256/P-384 and RSA of at least 2048 bits. */
    public static void checkKeyStrength(PublicKey key) {
        if (key instanceof ECPublicKey) {
            int bits = ((ECPublicKey) key).getParams().getCurve().getField().getFieldSize();
            if (bits != 256 && bits != 384) {
                throw new PkiException("EC key on a " + bits + "-bit curve refused (use P-256 or P-384)");
            }
        } else if (key instanceof RSAPublicKey) {
            int bits = ((RSAPublicKey) key).getModulus().bitLength();
            if (bits < 2048) {
                throw new PkiException("RSA key of " + bits + " bits refused (at least 2048)");
            }
        } else {
            throw new PkiException("key algorithm " + key.getAlgorithm() + " refused (use EC or RSA)");
        }
    }

    /** A signed CRL: {@code revoked} maps serial to (revocation time, RFC 5280 reason code). */
    public static X509CRL crl(X509Certificate issuerCert, PrivateKey issuerKey, BigInteger number, Instant thisUpdate,
            Instant nextUpdate, Map<BigInteger, Map.Entry<Instant, Integer>> revoked) {
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(
                    X500Name.getInstance(issuerCert.getSubjectX500Principal().getEncoded()), Date.from(thisUpdate));
            b.setNextUpdate(Date.from(nextUpdate));
            for (Map.Entry<BigInteger, Map.Entry<Instant, Integer>> e : revoked.entrySet()) {
                b.addCRLEntry(e.getKey(), Date.from(e.getValue().getKey()), e.getValue().getValue());
            }
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuerCert));
            X509CRLHolder h = b.build(signer(issuerKey));
            return new JcaX509CRLConverter().getCRL(h);
        } catch (IOException | GeneralSecurityException e) {
            throw new PkiException("cannot sign a CRL: " + e.getMessage(), e);
        }
    }

    /** The CRL number extension, or -1 when absent. */
    public static BigInteger crlNumber(X509CRL crl) {
        byte[] v = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (v == null) {
            return BigInteger.ONE.negate();
        }
        try {
            return ASN1Integer.getInstance(JcaX509ExtensionUtils.parseExtensionValue(v)).getValue();
        } catch (IOException | RuntimeException e) {
            throw new PkiException("unreadable CRL number: " + e.getMessage(), e);
        }
    }

    /** A DN built from attribute values (escaped properly): O, OU (skipped when null), CN. */
    public static X500Principal dn(String o, String ou, String cn) {
        org.bouncycastle.asn1.x500.X500NameBuilder b =
                new org.bouncycastle.asn1.x500.X500NameBuilder(org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE);
        b.addRDN(org.bouncycastle.asn1.x500.style.BCStyle.O, o);
        if (ou != null) {
            b.addRDN(org.bouncycastle.asn1.x500.style.BCStyle.OU, ou);
        }
        b.addRDN(org.bouncycastle.asn1.x500.style.BCStyle.CN, cn);
        try {
            return new X500Principal(b.build().getEncoded());
        } catch (IOException e) {
            throw new PkiException("cannot encode DN: " + e.getMessage(), e);
        }
    }

    /** Verifies {@code signature} over {@code data} with {@code key} (SHA-256 with ECDSA or RSA). */
    public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            java.security.Signature s = java.security.Signature.getInstance(signatureAlgorithm(key.getAlgorithm()));
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Signs {@code data} with {@code key} (SHA-256 with ECDSA or RSA). */
    public static byte[] sign(PrivateKey key, byte[] data) {
        try {
            java.security.Signature s = java.security.Signature.getInstance(signatureAlgorithm(key.getAlgorithm()));
            s.initSign(key, RANDOM);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot sign: " + e.getMessage(), e);
        }
    }

    /** SHA-256 fingerprint of a certificate, lowercase hex. */
    public static String fingerprint(X509Certificate c) {
        try {
            return java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot hash certificate: " + e.getMessage(), e);
        }
    }

    /** RFC 5280 reason code of a {@link java.security.cert.CRLReason} (the enum follows the RFC's order). */
    public static int reasonCode(java.security.cert.CRLReason reason) {
        return reason.ordinal();
    }
}
