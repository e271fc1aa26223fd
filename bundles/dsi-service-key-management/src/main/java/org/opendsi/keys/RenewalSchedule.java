package org.opendsi.keys;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/** When a certificate must be renewed: at a fixed fraction (default 2/3) of its lifetime. */
public final class RenewalSchedule {

    public static final double DEFAULT_FRACTION = 2.0 / 3.0;

    private final double fraction;

    public RenewalSchedule() {
        this(DEFAULT_FRACTION);
    }

    public RenewalSchedule(double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("renewal fraction must be in (0, 1), not " + fraction);
        }
        this.fraction = fraction;
    }

    public Instant renewAt(X509Certificate cert) {
        Instant nb = cert.getNotBefore().toInstant();
        Instant na = cert.getNotAfter().toInstant();
        long life = Duration.between(nb, na).toMillis();
        return nb.plusMillis((long) (life * fraction));
    }

    public boolean isDue(X509Certificate cert, Instant now) {
        return !now.isBefore(renewAt(cert));
    }

    /** Time left until renewal is due (zero or negative when due). */
    public Duration untilDue(X509Certificate cert, Instant now) {
        return Duration.between(now, renewAt(cert));
    }

    public CertificateStatus status(CertificateRole role, X509Certificate cert, Instant now) {
        Instant na = cert.getNotAfter().toInstant();
        CertificateStatus.State st = !now.isBefore(na) ? CertificateStatus.State.EXPIRED
                : isDue(cert, now) ? CertificateStatus.State.RENEWAL_DUE : CertificateStatus.State.VALID;
        String id = SpiffeIds.find(cert).map(SpiffeId::uri).orElse(cert.getSubjectX500Principal().getName());
        return new CertificateStatus(role, id, cert.getSerialNumber(), cert.getNotBefore().toInstant(), na,
                renewAt(cert), st);
    }
}
