package org.opendsi.keys;

/** A PKI operation was refused or failed; the message says why in terms an operator understands. */
public class PkiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
