package org.opendsi.dsm;

/** A failure of the kernel DSM, with libdsm's explanation and the (positive) errno when known. */
public class DsmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** errno of a facility this kernel (or this DSM) does not have. */
    public static final int EOPNOTSUPP = 95;

    private final int errno;

    public DsmException(String message) {
        this(message, 0);
    }

    public DsmException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public DsmException(String message, Throwable cause) {
        super(message, cause);
        this.errno = 0;
    }

    /** Positive errno (EBUSY, EPERM, ...), 0 when not from a system call. */
    public int errno() {
        return errno;
    }

    /** Whether the facility asked for is missing here (the caller may fall back), not that it failed. */
    public boolean unsupported() {
        return errno == EOPNOTSUPP;
    }
}
