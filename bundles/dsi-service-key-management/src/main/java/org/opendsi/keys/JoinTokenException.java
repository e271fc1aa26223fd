package org.opendsi.keys;

/** A join token was refused; {@link #reason()} tells unknown, already used and expired apart. */
public class JoinTokenException extends PkiException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Malformed, never issued, or purged long after its expiry. */
        UNKNOWN,
        /** Issued and already redeemed once: tokens are one-time. */
        ALREADY_USED,
        /** Issued but its time to live has passed. */
        EXPIRED
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
