package org.opendsi.keys;

/** A join token was refused; {@link #reason()} says why. */
public class JoinTokenException extends PkiException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Malformed, never issued, or purged long after its expiry. */
        UNKNOWN,
        /** Issued and already redeemed once: tokens are one-time. */
        ALREADY_USED,
        /** Issued but its time to live has passed. */
        EXPIRED,
        /** Issued for another SnID or node name than the join claims (the token is not used up). */
        WRONG_NODE,
        /** The SnID has live certificates and the token was not created to replace that node. */
        NODE_EXISTS
    }

    private final Reason reason;

    public JoinTokenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
