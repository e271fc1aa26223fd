package org.opendsi.ss;

import java.util.List;
import java.util.function.Consumer;

import org.opendsi.keys.CaStateStore;

/**
 * A store several Security Servers share (one active, the others hot standbys), registered as an OSGi
 * service by the bundle that implements it. Its {@link ServerStore} and {@link CaStateStore} refuse
 * every write with {@link NotActiveException} unless this process holds the lease at the epoch the
 * write is checked against in the same transaction (fencing): a paused or partitioned former leader
 * cannot write after another took over.
 */
public interface SharedStore {

    /** A server that reported within this many seconds counts as running ({@link ServerPeer#live()}). */
    int LIVE_SECONDS = 3;

    /** The Security Server's state; writes fenced by the lease. */
    ServerStore serverStore();

    /** The cluster CA's state (issued certificates, CRL, join tokens); writes fenced by the lease. */
    CaStateStore caState();

    /**
     * Competes for the lease as {@code name} (the SCC at {@code address}, named in messages to others) until
     * the returned handle is closed; {@code onChange} is called (from the lease's own thread) every time this
     * process becomes active or stops being active. Only one competition per store object at a time.
     */
    Leadership lead(String name, String address, Consumer<LeaseStatus> onChange);

    StoreHealth health();

    /**
     * Records {@code rootFingerprint} as the cluster's root CA when none is recorded (a fenced write: only the
     * active server does it) and returns the one recorded. A server whose root differs must not serve: it
     * would issue certificates nobody else trusts.
     */
    String bindRoot(String rootFingerprint);

    /**
     * Records this server (its own node's SnID and name, and the label keys a standby's node holds), active
     * or standby. Not fenced: with {@link #appendAlarm} it is what a standby writes, and it gives a standby
     * nothing it does not have already (it reads the whole store, the label key master secrets included). Servers report about
     * once a second; one that stops is still a member (its node keeps its pairs) but no longer
     * {@linkplain ServerPeer#live() live}.
     */
    void report(ServerPeer self);

    /** Every server that ever reported, by SnID. */
    List<ServerPeer> servers();

    /**
     * Adds an alarm raised on a standby's own node. Not fenced: an alarm is an append under its own id, so
     * two servers cannot conflict over it and one added twice is stored once.
     *
     * @return true when it was new
     */
    boolean appendAlarm(StoredAlarm alarm);

    /** One competition for the lease. */
    interface Leadership extends AutoCloseable {

        LeaseStatus status();

        /**
         * True while the lease is held and, by this process's monotonic clock, cannot have expired yet:
         * checked before signing so that a leader paused past its lease does not sign.
         */
        boolean holdsNow();

        /** Gives the lease up (a standby takes over at once, not after the lease time). */
        @Override
        void close();
    }
}
