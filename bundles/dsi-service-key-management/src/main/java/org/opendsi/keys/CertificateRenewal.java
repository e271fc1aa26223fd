package org.opendsi.keys;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one renewal path of a node's node CA and channel certificates: for each certificate
 * {@link NodeKeys#dueForRenewal() due}, a {@link RenewalRequest} (new key, CSR, proof of the
 * current key) goes to the {@link Renewer} (the Security Manager sends it to the SS over the SCC,
 * which answers with {@link ClusterCa#renew}), and the answer is installed; listeners of
 * {@link NodeKeys} (e.g. the SCC) see the change. The Security Manager runs it at each renewal
 * check; a failure is kept for its status and retried at the next check.
 */
public final class CertificateRenewal {

    /** Sends a renewal request to the Security Server; completes with the new certificate. */
    @FunctionalInterface
    public interface Renewer {
        CompletionStage<X509Certificate> renew(RenewalRequest request);
    }

    private static final Logger LOG = LoggerFactory.getLogger(CertificateRenewal.class);

    private final NodeKeys keys;
    private final Renewer renewer;
    private final Duration timeout;
    private volatile String lastFailure;

    public CertificateRenewal(NodeKeys keys, Renewer renewer, Duration timeout) {
        this.keys = keys;
        this.renewer = renewer;
        this.timeout = timeout;
    }

    /**
     * Renews every certificate due now, synchronously; a failure of one is logged, kept as
     * {@link #lastFailure()} and does not stop the others.
     *
     * @return the roles renewed
     */
    public List<CertificateRole> renewDue() {
        List<CertificateRole> done = new ArrayList<>();
        for (CertificateRole role : keys.dueForRenewal()) {
            try {
                RenewalRequest req = keys.prepareRenewal(role);
                X509Certificate cert = renewer.renew(req).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                keys.installRenewal(role, cert);
                LOG.info("{} certificate renewed (expires {})", role, cert.getNotAfter().toInstant());
                done.add(role);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done;
            } catch (Exception e) {
                Throwable c = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
                lastFailure = role + " renewal failed: " + c.getMessage();
                LOG.warn("Renewal of the {} certificate failed (retried at the next check): {}", role, c.toString());
            }
        }
        return done;
    }

    /** What the last failed renewal said, null when none failed. */
    public String lastFailure() {
        return lastFailure;
    }
}
