package org.opendsi.ss.internal;

import java.math.BigInteger;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.ClusterTrust;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Security Server's upkeep, on its executor: pushes a new CRL to the nodes, takes its own renewed
 * certificate (and re-signs the current policy version with it), closes node connections whose
 * certificate is no longer valid, and retries an SCC listener that could not start.
 */
final class Housekeeping {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);
    /** Retries of a listener that could not start: 2 s, doubling, at most every 5 min. */
    static final long SCC_RETRY_FIRST_MILLIS = 2_000;
    static final long SCC_RETRY_MAX_MILLIS = 300_000;

    private final String cluster;
    private final ClusterCa ca;
    private final ScheduledExecutorService executor;
    private final Supplier<SccServer> server;
    private final Supplier<Credentials> credentials;
    private final Consumer<Credentials> renewed;
    private final PolicyDistribution distribution;
    private volatile BigInteger pushedCrl = BigInteger.ZERO;
    /**
     * Period of {@link #run()} (CRL push, own certificate renewal): 1 hour. Settable (before
     * {@link #schedule()}) only so that tests with certificates valid for seconds can run it more often.
     */
    private volatile Duration interval = Duration.ofHours(1);
    /** Next retry delay of each listener that could not start ("SCC", "join endpoint"). */
    private final java.util.Map<String, Long> retryMillis = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param credentials the Security Server's own certificate and key in use
     * @param renewed     takes the renewed ones in use
     */
    Housekeeping(String cluster, ClusterCa ca, ScheduledExecutorService executor, Supplier<SccServer> server,
            Supplier<Credentials> credentials, Consumer<Credentials> renewed, PolicyDistribution distribution) {
        this.cluster = cluster;
        this.ca = ca;
        this.executor = executor;
        this.server = server;
        this.credentials = credentials;
        this.renewed = renewed;
        this.distribution = distribution;
    }

    /** {@code c} as the SCC listener presents them, verifying the nodes against the cluster CA and its CRL. */
    SccCredentials sccCredentials(Credentials c) {
        return sccCredentials(ca, cluster, c);
    }

    /** The SCC listener's credentials: this server's certificate, peers checked as nodes against the CA's CRL. */
    static SccCredentials sccCredentials(ClusterCa ca, String cluster, Credentials c) {
        Supplier<Collection<X509CRL>> crls = () -> List.of(ca.crl());
        return new SccCredentials(c.privateKey(), c.chain(), c.trustAnchors(), crls,
                ClusterTrust.nodesOf(cluster, c.trustAnchors(), crls));
    }

    void interval(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("housekeeping interval must be positive, not " + interval);
        }
        this.interval = interval;
    }

    void schedule() {
        long hk = interval.toMillis();
        executor.scheduleWithFixedDelay(this::run, hk, hk, TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            X509CRL crl = ca.crl();
            BigInteger n = ca.crlNumber();
            if (!n.equals(pushedCrl)) {
                pushCrl(crl);
            }
            Credentials c = ca.serverCredentials(List.of(), List.of());
            if (!c.leaf().equals(credentials.get().leaf())) {
                renew(c);
            }
            SccServer s = server.get();
            if (s != null) {
                // a connection never outlives the certificate it was authenticated with: a node that
                // did not present its renewed certificate before the old one expired reconnects
                for (SccPeer p : s.revalidatePeers()) {
                    LOG.warn("Node connection {} closed: its certificate is no longer valid", p.id());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Security Server housekeeping failed: {}", e.toString(), e);
        }
    }

    private void renew(Credentials c) {
        renewed.accept(c);
        // Fix (found by CertificateRenewalTest): the current policy version was signed with the
        // old certificate, which expires a third of a lifetime later; nodes that join or come
        // back after that refused it ("signer certificate not trusted"). Re-sign the same version
        // (same content and sha256, so nodes that already run it just ack) with the new key.
        distribution.resign(c);
        // Swapped in place: the listener stays open and no node connection is dropped; nodes
        // re-authenticate the SS over their open connections, new handshakes present the new one.
        // (A listener that is not up yet takes `credentials` when its retry starts it.)
        SccServer s = server.get();
        if (s != null) {
            s.updateCredentials(sccCredentials(c)).whenComplete((took, e) -> LOG.info(
                    "Security Server certificate renewed in place (expires {}); {} node connection(s) took it{}",
                    c.leaf().getNotAfter().toInstant(), took == null ? 0 : took, e == null ? "" : ": " + e));
        }
    }

    /** Publishes {@code crl} to the connected nodes (on the ALARM lane). */
    void pushCrl(X509CRL crl) {
        SccServer s = server.get();
        if (s != null) {
            s.publish(ClusterTopics.CRL, ClusterMessages.encode(new ClusterMessages.CrlUpdate(crl)), SccPriority.ALARM);
            pushedCrl = ca.crlNumber();
        }
    }

    /** A listener ({@code what}: "SCC", "join endpoint") could not start: {@code restart} runs later, unless closed. */
    void listenerFailed(String what, String error, Runnable restart) {
        // e.g. the port not yet released after a restart of the listener (certificate renewal), or taken
        // for a moment by someone else's connection: try again soon instead of staying deaf until an
        // operator notices
        if (!executor.isShutdown()) {
            long delay = retryMillis.getOrDefault(what, SCC_RETRY_FIRST_MILLIS);
            retryMillis.put(what, Math.min(delay * 2, SCC_RETRY_MAX_MILLIS));
            LOG.error("Security Server {}: {}; retrying in {} ms", what, error, delay);
            executor.schedule(() -> {
                if (!executor.isShutdown()) {
                    restart.run();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } else {
            LOG.error("Security Server {}: {}", what, error);
        }
    }

    /** The listener is up: a later failure is retried from the first delay again. */
    void listenerStarted(String what) {
        retryMillis.remove(what);
    }
}
