package org.opendsi.cluster.protocol;

/**
 * A join failed. {@link #reason()} is the Security Server's reason code ({@code UNKNOWN},
 * {@code ALREADY_USED}, {@code EXPIRED}, {@code COMPROMISED}, {@code INVALID}) or a local one
 * ({@code UNTRUSTED_SERVER}, {@code UNREACHABLE}, {@code PROTOCOL}).
 */
public class JoinException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public JoinException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public JoinException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
