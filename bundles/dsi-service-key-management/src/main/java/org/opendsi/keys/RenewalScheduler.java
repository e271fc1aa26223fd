package org.opendsi.keys;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews a node's node CA and channel certificates before they expire, without a restart: every
 * {@code checkInterval} it asks {@link NodeKeys#dueForRenewal()}, builds a {@link RenewalRequest},
 * hands it to the {@link Renewer} (the Security Manager sends it to the SS over the SCC and
 * completes with the SS's answer, {@link ClusterCa#renew}), and installs the result. Listeners of
 * {@link NodeKeys} (e.g. the SCC) see the change. Failures are logged and retried at the next check.
 */
public final class RenewalScheduler implements AutoCloseable {

    /** Sends a renewal request to the Security Server; completes with the new certificate. */
    @FunctionalInterface
    public interface Renewer {
        CompletionStage<X509Certificate> renew(RenewalRequest request);
    }

    private static final Logger LOG = LoggerFactory.getLogger(RenewalScheduler.class);

    private final NodeKeys keys;
    private final Renewer renewer;
    private final Duration timeout;
    private ScheduledFuture<?> task;

    public RenewalScheduler(NodeKeys keys, Renewer renewer, Duration timeout) {
        this.keys = keys;
        this.renewer = renewer;
        this.timeout = timeout;
    }

    /** Starts periodic checks on {@code executor} (not owned: the caller shuts it down). */
    public synchronized void start(ScheduledExecutorService executor, Duration checkInterval) {
        if (task != null) {
            throw new IllegalStateException("already started");
        }
        long ms = checkInterval.toMillis();
        task = executor.scheduleWithFixedDelay(() -> {
            try {
                renewDue();
            } catch (RuntimeException e) {
                LOG.warn("Certificate renewal check failed: {}", e.toString(), e);
            }
        }, 0, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Renews every certificate due now, synchronously.
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
                done.add(role);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done;
            } catch (Exception e) {
                LOG.warn("Renewal of the {} certificate failed (retried at the next check): {}", role, e.toString());
            }
        }
        return done;
    }

    @Override
    public synchronized void close() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
