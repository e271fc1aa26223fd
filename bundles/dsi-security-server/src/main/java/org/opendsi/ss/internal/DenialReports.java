package org.opendsi.ss.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.opendsi.cluster.protocol.DenialDigest;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccPeer;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's denials over the last {@link SecurityServer#DENIAL_WINDOW}: those the nodes report, each
 * attributed to the node of the channel it came on, and this node's own.
 */
final class DenialReports {

    private static final Logger LOG = LoggerFactory.getLogger(DenialReports.class);
    /** Flows {@link #window} keeps: a flood of distinct flows evicts the quietest. */
    static final int MAX_DENIAL_FLOWS = 4096;
    /** How often this node's own denials join the view (the managers send theirs as often). */
    static final Duration DENIAL_FLUSH = Duration.ofMillis(500);

    private final ServerStore store;
    private final int ownSnid;
    /** Denials the nodes report (and this node's own), for {@link #since} and the live view. */
    private final DenialWindow window = new DenialWindow(SecurityServer.DENIAL_WINDOW, MAX_DENIAL_FLOWS,
            Clock.systemUTC());
    /** This node's own denials, drained into {@link #window} (null: none followed). */
    private volatile DenialDigest local;

    DenialReports(ServerStore store, int ownSnid) {
        this.store = store;
        this.ownSnid = ownSnid;
    }

    /** This node's own denials (its auditing followed by the component), or null. */
    void local(DenialDigest digest) {
        local = digest;
    }

    void schedule(ScheduledExecutorService executor) {
        long df = DENIAL_FLUSH.toMillis();
        executor.scheduleWithFixedDelay(this::flushLocal, df, df, TimeUnit.MILLISECONDS);
    }

    private void flushLocal() {
        DenialDigest d = local;
        if (d != null && !d.isEmpty()) {
            DenialDigest.Report r = d.take().attributedTo(ownSnid);
            window.add(r.flows(), r.unattributed());
        }
    }

    /**
     * A node's denial report: every flow is attributed to the node of the channel it came on, so a node
     * can speak only for its own DSM; a compromised node is not heard.
     */
    void onDenials(SccPeer peer, SccMessage m) {
        Optional<Integer> snid = Membership.snidOf(peer);
        if (snid.isEmpty() || store.compromised().contains(snid.get())) {
            return;
        }
        try {
            DenialDigest.Report r = DenialDigest.decode(m.payload(), snid.get());
            window.add(r.flows(), r.unattributed());
        } catch (RuntimeException e) {
            LOG.warn("Node {}: malformed denial report: {}", Integer.toUnsignedString(snid.get()), e.toString());
        }
    }

    List<DenialFlow> since(Instant since) {
        return window.since(since);
    }

    AutoCloseable follow(Consumer<List<DenialFlow>> listener) {
        return window.follow(listener);
    }
}
