/**
 * DSI's PKI, as used by the Security Server ({@link org.opendsi.keys.ClusterCa},
 * {@link org.opendsi.keys.JoinTokens}) and by each Security Manager ({@link org.opendsi.keys.NodeKeys},
 * {@link org.opendsi.keys.CertificateRenewal}), the TLS helpers for the SCC ({@link org.opendsi.keys.DsiTls}),
 * SPIFFE-style ids ({@link org.opendsi.keys.SpiffeIds}), and the SPIs {@link org.opendsi.keys.KeyStoreProvider},
 * {@link org.opendsi.keys.CaStateStore} (the CA state several Security Servers may share)
 * and {@link org.opendsi.keys.KeyManagementService}.
 */
@org.osgi.annotation.versioning.Version("1.2.0")
package org.opendsi.keys;
