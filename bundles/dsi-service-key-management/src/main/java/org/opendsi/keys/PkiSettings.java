package org.opendsi.keys;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings shared by {@link ClusterCa} and {@link NodeKeys}. Immutable; {@code with*} methods
 * return a copy. Defaults: cluster {@code dsi}, EC P-256, root CA 3650 days, node CA / channel /
 * server certificates 90 days, process certificates 1 hour, CRLs valid 7 days (re-signed after
 * half of that), renewal at 2/3 of a certificate's lifetime, system UTC clock, keystore password
 * generated into a secret file.
 */
public final class PkiSettings {

    private final Path dir;
    private final String cluster;
    private final char[] password;
    private final Clock clock;
    private final KeyAlgorithm keyAlgorithm;
    private final Duration caValidity;
    private final Duration nodeValidity;
    private final Duration processTtl;
    private final Duration crlValidity;
    private final double renewalFraction;

    private PkiSettings(Path dir, String cluster, char[] password, Clock clock, KeyAlgorithm keyAlgorithm,
            Duration caValidity, Duration nodeValidity, Duration processTtl, Duration crlValidity, double renewalFraction) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.cluster = SpiffeId.checkCluster(cluster);
        this.password = password == null ? null : password.clone();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.keyAlgorithm = Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
        this.caValidity = positive("caValidity", caValidity);
        this.nodeValidity = positive("nodeValidity", nodeValidity);
        this.processTtl = positive("processTtl", processTtl);
        this.crlValidity = positive("crlValidity", crlValidity);
        if (!(renewalFraction > 0 && renewalFraction < 1)) {
            throw new IllegalArgumentException("renewal fraction must be in (0, 1), not " + renewalFraction);
        }
        this.renewalFraction = renewalFraction;
        if (nodeValidity.compareTo(caValidity) > 0) {
            throw new IllegalArgumentException("node certificate validity " + nodeValidity.toDays()
                    + " days exceeds the root CA validity " + caValidity.toDays() + " days");
        }
    }

    private static Duration positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + d);
        }
        return d;
    }

    /** Defaults under {@code dir} for cluster {@code cluster}. */
    public static PkiSettings of(Path dir, String cluster) {
        return new PkiSettings(dir, cluster, null, Clock.systemUTC(), KeyAlgorithm.EC_P256, Duration.ofDays(3650),
                Duration.ofDays(90), Duration.ofHours(1), Duration.ofDays(7), 2.0 / 3.0);
    }

    /** The same settings for files under another folder (e.g. the Security Server's CA). */
    public PkiSettings withDir(Path d) {
        return new PkiSettings(d, cluster, password, clock, keyAlgorithm, caValidity, nodeValidity, processTtl, crlValidity, renewalFraction);
    }

    public PkiSettings withPassword(char[] p) {
        return new PkiSettings(dir, cluster, p, clock, keyAlgorithm, caValidity, nodeValidity, processTtl, crlValidity, renewalFraction);
    }

    public PkiSettings withClock(Clock c) {
        return new PkiSettings(dir, cluster, password, c, keyAlgorithm, caValidity, nodeValidity, processTtl, crlValidity, renewalFraction);
    }

    public PkiSettings withKeyAlgorithm(KeyAlgorithm a) {
        return new PkiSettings(dir, cluster, password, clock, a, caValidity, nodeValidity, processTtl, crlValidity, renewalFraction);
    }

    public PkiSettings withCaValidity(Duration d) {
        return new PkiSettings(dir, cluster, password, clock, keyAlgorithm, d, nodeValidity, processTtl, crlValidity, renewalFraction);
    }

    public PkiSettings withNodeValidity(Duration d) {
        return new PkiSettings(dir, cluster, password, clock, keyAlgorithm, caValidity, d, processTtl, crlValidity, renewalFraction);
    }

    public PkiSettings withProcessTtl(Duration d) {
        return new PkiSettings(dir, cluster, password, clock, keyAlgorithm, caValidity, nodeValidity, d, crlValidity, renewalFraction);
    }

    public PkiSettings withCrlValidity(Duration d) {
        return new PkiSettings(dir, cluster, password, clock, keyAlgorithm, caValidity, nodeValidity, processTtl, d, renewalFraction);
    }

    public PkiSettings withRenewalFraction(double f) {
        return new PkiSettings(dir, cluster, password, clock, keyAlgorithm, caValidity, nodeValidity, processTtl, crlValidity, f);
    }

    /** Base directory; the CA uses {@code <dir>/ca}, a node {@code <dir>/node}. */
    public Path dir() {
        return dir;
    }

    public String cluster() {
        return cluster;
    }

    /** Keystore password, or null to use (and create) a secret file next to the keystore. */
    public char[] password() {
        return password == null ? null : password.clone();
    }

    public Clock clock() {
        return clock;
    }

    public KeyAlgorithm keyAlgorithm() {
        return keyAlgorithm;
    }

    public Duration caValidity() {
        return caValidity;
    }

    public Duration nodeValidity() {
        return nodeValidity;
    }

    public Duration processTtl() {
        return processTtl;
    }

    public Duration crlValidity() {
        return crlValidity;
    }

    public double renewalFraction() {
        return renewalFraction;
    }

    /** The keystore of a subdirectory: the configured password, or the secret file {@code <name>.pass}. */
    KeyStoreProvider defaultKeyStore(Path sub, String name) {
        Path file = sub.resolve(name + ".p12");
        return password != null ? new Pkcs12KeyStoreProvider(file, password)
                : Pkcs12KeyStoreProvider.openWithSecretFile(file, sub.resolve(name + ".pass"));
    }
}
