package org.opendsi.keys;

import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * DSI's key-management security service on a node (registered with
 * {@code dsi.service.type=key-management}): the node's SCC credentials, process certificate
 * issuance by the node's secondary CA, CRL access and renewal status. The Security Manager drives
 * the join and renewal through {@link #nodeKeys()}.
 */
public interface KeyManagementService {

    /** Value of {@code dsi.service.type}. */
    String SERVICE_TYPE = "key-management";
    /** Value of {@code dsi.service.version}. */
    String SERVICE_VERSION = "1.0.0";

    String cluster();

    boolean isJoined();

    /** The SCC identity (channel key, chain, root, CRLs), empty before the join. */
    Optional<Credentials> nodeCredentials();

    /** Trust anchors (the cluster root), empty before the join. */
    List<X509Certificate> trustAnchors();

    /** Current CRLs (root and this node CA), empty before the join. */
    List<X509CRL> crls();

    /** Accepts a newer root CRL pushed by the Security Server. */
    boolean updateCrl(X509CRL crl);

    /** {@code [process certificate, node CA]} for {@code key}; {@code ttl} null means the configured default. */
    List<X509Certificate> issueProcessCertificate(PublicKey key, int scid, Duration ttl);

    /** A generated key pair for a process, certified. */
    ProcessCredentials issueProcessCredentials(int scid, Duration ttl);

    /** Lifetime and renewal time of the root, node CA and channel certificates. */
    List<CertificateStatus> renewalStatus();

    /** The underlying node keys (join, renewal, listeners). */
    NodeKeys nodeKeys();

    /**
     * Opens the cluster root CA kept under {@code dir} (its {@code ca/} folder; created on first use),
     * with this service's configuration ({@code org.opendsi.keys}: cluster, key algorithm, validities,
     * keystore type and password). For the Security Server, which opens it once and keeps it: two
     * open instances over one folder must not issue at the same time.
     *
     * @throws PkiException when key management is not available (e.g. its keystore provider is missing)
     */
    ClusterCa openClusterCa(java.nio.file.Path dir);

    /**
     * Like {@link #openClusterCa(java.nio.file.Path)} with the CA's mutable state (issued certificates,
     * revocations, CRL, join tokens) in {@code state}, e.g. a store shared by an active Security Server
     * and its standbys; the root key stays in this service's keystore under {@code dir}, and must be
     * the same on every SS sharing the store. Null: the files under {@code dir/ca}.
     *
     * @throws PkiException when key management is not available, or the keystore holds no root while
     *                      {@code state} holds another root's state
     */
    ClusterCa openClusterCa(java.nio.file.Path dir, CaStateStore state);
}
