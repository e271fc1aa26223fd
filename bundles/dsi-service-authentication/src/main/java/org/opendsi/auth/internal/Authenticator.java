package org.opendsi.auth.internal;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.opendsi.api.SecurityIds;
import org.opendsi.api.auth.AuthenticationException;
import org.opendsi.api.auth.ProcessCertificate;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.Pem;
import org.opendsi.keys.PkiException;
import org.opendsi.keys.SpiffeIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision and issuance of the authentication service, without OSGi: rate limit per pid, pid ->
 * ScID through the DSM, certificate from the node CA; also the socket protocol (PEM CSR in, PEM
 * certificates {@code leaf, node CA, root} out, or one line {@code ERROR <reason>}).
 */
final class Authenticator implements UnixSocketServer.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
    static final String CSR_END = "-----END CERTIFICATE REQUEST-----";

    private final Supplier<NodeKeys> keys;
    private final ContextResolver contexts;
    private final Duration ttl;
    private final RateLimiter limiter;

    Authenticator(Supplier<NodeKeys> keys, ContextResolver contexts, Duration ttl, RateLimiter limiter) {
        this.keys = keys;
        this.contexts = contexts;
        this.ttl = ttl;
        this.limiter = limiter;
    }

    ProcessCertificate issueFor(int pid, PublicKey key) {
        return issue(pid, null, (k, scid) -> k.issueProcessCertificate(key, scid, ttl));
    }

    ProcessCertificate issueFor(int pid, byte[] csrDer) {
        return issue(pid, null, (k, scid) -> k.issueProcessCertificate(csrDer, scid, ttl));
    }

    /**
     * For a caller on the socket: the context is the one the process was in when it connected, and
     * the certificate is handed out only if that same process (pidfd) is still in that context when
     * the answer is ready. A process that connects, forks a child to send the request and then execs
     * into another context gets nothing; the child (still in the first context) never gets a
     * certificate for the new one.
     */
    ProcessCertificate issueFor(UnixSocketServer.Caller caller, byte[] csrDer) {
        return issue(caller.pid(), caller, (k, scid) -> k.issueProcessCertificate(csrDer, scid, ttl));
    }

    private interface Issue {
        List<X509Certificate> apply(NodeKeys k, int scid);
    }

    private ProcessCertificate issue(int pid, UnixSocketServer.Caller caller, Issue issue) {
        if (pid <= 0) {
            throw new AuthenticationException("invalid pid " + pid);
        }
        if (!limiter.tryAcquire(pid)) {
            throw new AuthenticationException("rate limit: process " + pid + " asked more than " + limiter.max()
                    + " times in the last minute");
        }
        int scid;
        try {
            scid = caller == null ? contexts.contextOf(pid) : caller.contextAtConnect();
        } catch (RuntimeException e) {
            throw new AuthenticationException("process " + pid + " is not in a DSI security context (the DSM cannot tell: "
                    + e.getMessage() + ")", e);
        }
        if (scid == SecurityIds.UNLABELED) {
            throw new AuthenticationException("process " + pid + " is not in a DSI security context");
        }
        NodeKeys k;
        try {
            k = keys.get();
        } catch (AuthenticationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AuthenticationException("no node CA on this node: " + e.getMessage(), e);
        }
        if (k == null || !k.isJoined()) {
            throw new AuthenticationException("no node CA on this node: it has not joined the cluster");
        }
        try {
            List<X509Certificate> chain = issue.apply(k, scid);
            if (caller != null) {
                stillTheSame(caller, scid);
            }
            X509Certificate root = k.trustAnchors().get(0);
            String id = SpiffeIds.parse(chain.get(0)).uri();
            LOG.info("Issued {} to pid {} (valid until {})", id, pid, chain.get(0).getNotAfter().toInstant());
            return new ProcessCertificate(pid, scid, k.snid(), id, chain, root);
        } catch (PkiException | IllegalArgumentException e) {
            throw new AuthenticationException("certificate refused: " + e.getMessage(), e);
        }
    }

    /** The context is read before the liveness check, so that a live pidfd proves the pid was not reused. */
    private void stillTheSame(UnixSocketServer.Caller caller, int scid) {
        int now;
        try {
            now = contexts.contextOf(caller.pid());
        } catch (RuntimeException e) {
            throw new AuthenticationException("process " + caller.pid() + " cannot be checked again before the answer: "
                    + e.getMessage(), e);
        }
        if (!caller.alive()) {
            throw new AuthenticationException("process " + caller.pid() + " that connected has exited");
        }
        if (now != scid) {
            throw new AuthenticationException("process " + caller.pid() + " changed context since it connected ("
                    + SecurityIds.format(scid) + " -> " + SecurityIds.format(now) + ")");
        }
    }

    // ------------------------------------------------------------------ socket protocol

    @Override
    public boolean complete(byte[] body, int len) {
        // the END line may arrive split across reads: look at the tail only
        int from = Math.max(0, len - 64);
        return new String(body, from, len - from, StandardCharsets.US_ASCII).contains(CSR_END);
    }

    @Override
    public String handle(UnixSocketServer.Request request) {
        try {
            String text = new String(request.body(), StandardCharsets.US_ASCII);
            List<byte[]> csrs;
            try {
                csrs = Pem.decode("CERTIFICATE REQUEST", text);
            } catch (RuntimeException e) {
                throw new AuthenticationException("malformed request: " + e.getMessage());
            }
            if (csrs.size() != 1) {
                throw new AuthenticationException("send exactly one PEM CERTIFICATE REQUEST (PKCS#10), got " + csrs.size());
            }
            ProcessCertificate pc = issueFor(request.caller(), csrs.get(0));
            List<X509Certificate> all = new ArrayList<>(pc.chain());
            all.add(pc.root());
            return Pem.certificates(all);
        } catch (AuthenticationException e) {
            LOG.info("Refused pid {} (uid {}): {}", request.pid(), request.uid(), e.getMessage());
            return "ERROR " + e.getMessage().replace('\n', ' ') + "\n";
        }
    }
}
