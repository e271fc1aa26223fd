package org.opendsi.scc;

/**
 * Failure of an SCC operation; {@link #code()} tells which. Futures returned by the API complete
 * exceptionally with this (or with {@link java.util.concurrent.TimeoutException} for request timeouts).
 */
public class SccException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The lane's bounded queue of that connection is full; the message was not queued. */
    public static final String QUEUE_FULL = "queue-full";
    /** The client is not connected (or the peer is gone). */
    public static final String NOT_CONNECTED = "not-connected";
    /** The connection closed before the operation completed. */
    public static final String CLOSED = "closed";
    /** The message exceeds the maximum frame size. */
    public static final String TOO_LARGE = "too-large";
    /** The remote side answered a request with an error (see {@link #getMessage()}). */
    public static final String REMOTE = "remote-error";
    /** Binding or configuration failed. */
    public static final String CONFIG = "config";

    private final String code;

    public SccException(String code, String message) {
        super(message);
        this.code = code;
    }

    public SccException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
