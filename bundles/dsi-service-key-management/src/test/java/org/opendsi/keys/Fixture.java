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
        String token = ca.joinTokens().create(Duration.ofMinutes(10));
        NodeCertificates certs = ca.join(token, node.prepareJoin(name), snid);
        node.install(certs, ca.rootFingerprint());
        return node;
    }

    static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    void validate(List<X509Certificate> chain, List<X509CRL> crls, PkixValidator.Revocation rev)
            throws CertPathValidatorException {
        PkixValidator.validate(chain, List.of(ca.rootCertificate()), crls, clock.instant(), rev);
    }
}
