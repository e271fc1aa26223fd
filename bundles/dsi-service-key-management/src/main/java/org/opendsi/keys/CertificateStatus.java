package org.opendsi.keys;

import java.math.BigInteger;
import java.time.Instant;

/** One certificate's lifetime as {@code dsi:nodes} and the renewal logic see it. */
public record CertificateStatus(CertificateRole role, String id, BigInteger serial, Instant notBefore,
        Instant notAfter, Instant renewAt, State state) {

    public enum State { VALID, RENEWAL_DUE, EXPIRED }
}
