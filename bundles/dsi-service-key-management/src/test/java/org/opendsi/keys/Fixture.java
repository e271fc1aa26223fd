package org.opendsi.keys;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/** A Security Server CA and joined nodes in temporary directories. */
final class Fixture {
    static final String CLUSTER = "test.cluster";

    final MutableClock clock = MutableClock.now();
    final Path base;
    final ClusterCa ca;

    Fixture(Path base) {
        this.base = base;
        this.ca = new ClusterCa(settings(base.resolve("ss")));
    }

    PkiSettings settings(Path dir) {
        return PkiSettings.of(dir, CLUSTER).withClock(clock);
    }

    /** A node joined with snid under base/node-<snid>. */
    NodeKeys join(int snid, String name) {
        NodeKeys node = new NodeKeys(settings(base.resolve("node-" + snid)));
        String token = ca.joinTokens().create(Duration.ofMinutes(10), snid, name, false);
        NodeCertificates certs = ca.join(token, node.prepareJoin(name), snid);
        node.install(certs, ca.rootFingerprint());
        return node;
    }

    /** A node as root on it holds it: its certificates and the private keys of its CA and channel. */
    record Rogue(X509Certificate nodeCa, java.security.PrivateKey caKey, X509Certificate channel,
                 java.security.PrivateKey channelKey) {

        /** A leaf this node's CA signs for any URI the attacker chooses, with the extensions of {@code profile}. */
        X509Certificate mint(org.opendsi.keys.internal.Pki.Profile profile, String uri, java.time.Instant now) {
            java.security.KeyPair kp = org.opendsi.keys.internal.Pki.generateKeyPair(KeyAlgorithm.EC_P256);
            return org.opendsi.keys.internal.Pki.issue(profile, org.opendsi.keys.internal.Pki.dn("dsi", null, "minted"),
                    kp.getPublic(), nodeCa, caKey, now.minusSeconds(60), now.plusSeconds(3600), List.of(uri), List.of(),
                    List.of());
        }
    }

    /** Joins {@code snid} with key pairs the test holds (as an attacker with root on that node does). */
    Rogue rogue(int snid) {
        java.security.KeyPair ca = org.opendsi.keys.internal.Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        java.security.KeyPair ch = org.opendsi.keys.internal.Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        JoinRequest req = new JoinRequest("rogue-" + snid,
                org.opendsi.keys.internal.Pki.csr(new javax.security.auth.x500.X500Principal("CN=ca"), ca),
                org.opendsi.keys.internal.Pki.csr(new javax.security.auth.x500.X500Principal("CN=ch"), ch));
        NodeCertificates certs = this.ca.join(this.ca.joinTokens().create(Duration.ofMinutes(10), snid, "", false), req, snid);
        return new Rogue(certs.nodeCa(), ca.getPrivate(), certs.channel(), ch.getPrivate());
    }

    static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    void validate(List<X509Certificate> chain, List<X509CRL> crls, PkixValidator.Revocation rev)
            throws CertPathValidatorException {
        PkixValidator.validate(chain, List.of(ca.rootCertificate()), crls, clock.instant(), rev);
    }
}
