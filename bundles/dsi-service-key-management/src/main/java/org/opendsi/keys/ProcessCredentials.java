package org.opendsi.keys;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A process's key and certificate chain ({@code [process, node CA]}), as handed out over the local socket. */
public record ProcessCredentials(SpiffeId id, PrivateKey privateKey, List<X509Certificate> chain) {
    public ProcessCredentials {
        chain = List.copyOf(chain);
    }
}
