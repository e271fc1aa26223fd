package org.opendsi.api.auth;

import java.security.PublicKey;

/**
 * DSI's authentication security service on a node, registered with {@code dsi.service.type=authentication}
 * and {@code dsi.service.version=<bundle version>}. It certifies a public key for a process of this
 * node: the caller's security context (ScID) is looked up from its pid, never taken from the request,
 * and the node CA issues a short-lived certificate whose URI SAN is
 * {@code spiffe://<cluster>/node/<snid>/scid/<scid>}. Processes normally ask over the local Unix socket
 * ({@code ${karaf.data}/dsi/auth.sock}); this interface serves in-JVM callers and the shell.
 */
public interface AuthenticationService {

    /** Value of {@code dsi.service.type}. */
    String SERVICE_TYPE = "authentication";

    /**
     * Certifies {@code key} for process {@code pid}.
     *
     * @throws AuthenticationException when the process is outside every security context, the DSM or
     *                                 the node CA is unavailable, or the key is refused
     */
    ProcessCertificate issueFor(int pid, PublicKey key);

    /** As {@link #issueFor(int, PublicKey)} for the key of a DER PKCS#10 request (its signature is checked). */
    ProcessCertificate issueFor(int pid, byte[] csrDer);

    /** Path of the local Unix socket, empty when it is not listening. */
    String socketPath();
}
