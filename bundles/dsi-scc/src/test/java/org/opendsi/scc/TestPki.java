package org.opendsi.scc;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test PKI: cluster root CA, node/SS certificates, foreign CA, expired and revoked certificates, CRLs. */
public final class TestPki {
    public static final String CLUSTER = "spiffe://test-cluster";
    public static final String SS_PREFIX = CLUSTER + "/ss";

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    public record Ca(String name, KeyPair keys, X509Certificate cert) {
    }

    public record Issued(KeyPair keys, List<X509Certificate> chain) {
        public PrivateKey key() {
            return keys.getPrivate();
        }

        public X509Certificate leaf() {
            return chain.get(0);
        }
    }

    public final Ca root;
    public final Ca nodeCa; // intermediate (node secondary CA), path length 0
    public final Ca foreign;
    /** CRLs handed to every endpoint through the credentials' supplier; tests add to it at run time. */
    public final Collection<X509CRL> crls = new CopyOnWriteArrayList<>();

    public TestPki() throws Exception {
        root = ca("DSI Test Root CA", null, -1);
        nodeCa = ca("DSI Node CA snid-7", root, 0);
        foreign = ca("Foreign CA", null, -1);
    }

    static KeyPair ecKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static ContentSigner signer(PrivateKey k) throws Exception {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(k);
    }

    private static Ca ca(String name, Ca issuer, int pathLen) throws Exception {
        KeyPair kp = ecKeys();
        X500Name subject = new X500Name("CN=" + name + ",O=OpenDSI Test");
        X500Name iss = issuer == null ? subject : X500Name.getInstance(issuer.cert.getSubjectX500Principal().getEncoded());
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(iss, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(365))), subject, kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, pathLen < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLen));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(signer(issuer == null ? kp.getPrivate() : issuer.keys.getPrivate())));
        return new Ca(name, kp, cert);
    }

    public Issued issue(Ca ca, String cn, String uriSan, Instant notBefore, Instant notAfter) throws Exception {
        KeyPair kp = ecKeys();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(ca.cert.getSubjectX500Principal().getEncoded()), BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + cn + ",O=OpenDSI Test"), kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        if (uriSan != null) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uriSan)));
        }
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(ca.keys.getPrivate())));
        List<X509Certificate> chain = ca == root || ca == foreign ? List.of(cert) : List.of(cert, ca.cert);
        return new Issued(kp, chain);
    }

    public Issued issue(Ca ca, String cn, String uriSan) throws Exception {
        Instant now = Instant.now();
        return issue(ca, cn, uriSan, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    /** Security Server certificate issued by the root. */
    public Issued ss() throws Exception {
        return issue(root, "security-server", SS_PREFIX);
    }

    /** Node (SM) certificate issued by the node CA (chain leaf, node CA). */
    public Issued node(int snid) throws Exception {
        return issue(nodeCa, "sm-" + snid, CLUSTER + "/node/" + snid);
    }

    public Issued expired(int snid) throws Exception {
        Instant now = Instant.now();
        return issue(nodeCa, "sm-expired-" + snid, CLUSTER + "/node/" + snid, now.minus(Duration.ofDays(10)),
                now.minus(Duration.ofDays(1)));
    }

    /** Adds a CRL of {@code ca} revoking {@code cert} to {@link #crls}. */
    public void revoke(Ca ca, X509Certificate cert) throws Exception {
        Instant now = Instant.now();
        X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(ca.cert.getSubjectX500Principal().getEncoded()),
                Date.from(now.minusSeconds(60)));
        b.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
        b.addCRLEntry(cert.getSerialNumber(), Date.from(now.minusSeconds(30)), CRLReason.keyCompromise);
        crls.add(new JcaX509CRLConverter().getCRL(b.build(signer(ca.keys.getPrivate()))));
    }

    public SccCredentials credentials(Issued id) {
        return new SccCredentials(id.key(), id.chain(), List.of(root.cert), () -> crls);
    }

    /** Credentials that trust only the foreign CA. */
    public SccCredentials foreignCredentials(Issued id) {
        return new SccCredentials(id.key(), id.chain(), List.of(foreign.cert), () -> crls);
    }
}
