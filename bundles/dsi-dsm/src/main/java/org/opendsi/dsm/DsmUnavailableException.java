package org.opendsi.dsm;

/** Thrown by every operation of an unavailable DSM; the message is "DSM unavailable: &lt;reason&gt;". */
public class DsmUnavailableException extends DsmException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public DsmUnavailableException(String reason) {
        super("DSM unavailable: " + reason + " (node runs in audit-only mode)");
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
