package org.opendsi.keys;

/**
 * What a joining node sends to the Security Server (with its one-time token): two DER PKCS#10
 * requests for two distinct key pairs, one for the node's secondary CA and one for its SCC channel
 * (TLS client) identity. Two keys keep the CA key (which signs process certificates and could
 * later move to hardware) apart from the key used in every TLS handshake.
 */
public record JoinRequest(String nodeName, byte[] nodeCaCsr, byte[] channelCsr) {
    public JoinRequest {
        java.util.Objects.requireNonNull(nodeName, "nodeName");
        nodeCaCsr = nodeCaCsr.clone();
        channelCsr = channelCsr.clone();
    }

    @Override
    public byte[] nodeCaCsr() {
        return nodeCaCsr.clone();
    }

    @Override
    public byte[] channelCsr() {
        return channelCsr.clone();
    }
}
