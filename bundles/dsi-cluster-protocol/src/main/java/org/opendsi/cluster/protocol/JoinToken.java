package org.opendsi.cluster.protocol;

import java.util.regex.Pattern;

/**
 * A join token as printed by {@code dsi:token-create}: {@code <secret>.<fingerprint>}, the one-time
 * secret and the SHA-256 (hex) of the cluster root certificate, so that the joining node verifies
 * the Security Server without prior trust (like kubeadm's CA certificate hash).
 */
public record JoinToken(String secret, String rootFingerprint) {

    private static final Pattern FP = Pattern.compile("[0-9a-f]{64}");

    public static JoinToken parse(String token) {
        String t = token == null ? "" : token.trim();
        int dot = t.lastIndexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException("malformed join token: expected <secret>.<root fingerprint> as printed by "
                    + "dsi:token-create");
        }
        String fp = t.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
        if (!FP.matcher(fp).matches()) {
            throw new IllegalArgumentException("malformed join token: the part after the last '.' must be the 64 hex "
                    + "digits of the root certificate's SHA-256");
        }
        return new JoinToken(t.substring(0, dot), fp);
    }

    @Override
    public String toString() {
        return secret + "." + rootFingerprint;
    }
}
