package org.opendsi.keys;

/** What a DSI certificate is for. */
public enum CertificateRole {
    /** The cluster root CA (self-signed, held by the Security Server). */
    ROOT_CA,
    /** A node's secondary CA: issued by the root, pathLen 0, URI SAN {@code spiffe://<cluster>/node/<snid>}. */
    NODE_CA,
    /** A node's SCC identity: TLS client certificate issued by the root, same URI SAN as the node CA. */
    CHANNEL,
    /** The Security Server's TLS identity: URI SAN {@code spiffe://<cluster>/ss}, serverAuth + clientAuth. */
    SERVER,
    /** A short-lived process certificate issued by a node CA: URI SAN {@code spiffe://<cluster>/node/<snid>/scid/<scid>}. */
    PROCESS
}
