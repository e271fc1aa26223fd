package org.opendsi.cluster.protocol;

/** A signed policy was refused: bad signature, wrong signer, wrong cluster, content mismatch, old version. */
public class PolicySignatureException extends Exception {
    private static final long serialVersionUID = 1L;

    public PolicySignatureException(String message) {
        super(message);
    }

    public PolicySignatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
