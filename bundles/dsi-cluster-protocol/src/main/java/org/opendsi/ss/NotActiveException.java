package org.opendsi.ss;

/**
 * Thrown by a Security Server that does not hold the store's lease (a standby, or a former leader
 * fenced out) when asked to change the cluster's state. The message names the active server.
 */
public class NotActiveException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient LeaseStatus lease;

    public NotActiveException(String what, LeaseStatus lease) {
        super(what + ": this Security Server is a standby; the active Security Server is " + lease.describeHolder()
                + " (lease epoch " + lease.epoch() + ")");
        this.lease = lease;
    }

    public LeaseStatus lease() {
        return lease;
    }
}
