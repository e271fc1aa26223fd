package org.opendsi.cluster.protocol;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A policy version as signed by the Security Server. The signature covers {@link #canonical()}:
 * cluster, version, the SHA-256 of the exact DSP bytes and the policy's canonical digest, so the
 * bytes, their meaning and their place in the version sequence are bound together.
 *
 * @param cluster   cluster name
 * @param version   version assigned by the Security Server
 * @param sha256    lower-case hex SHA-256 of the exact DSP XML bytes
 * @param digest    the DSP canonical digest (what {@code dsi:policy} shows)
 * @param name      the policy's name (informational, not signed)
 * @param signedAt  when it was signed (informational, not signed)
 * @param signature signature by the Security Server's key over {@link #canonical()}
 * @param signer    the Security Server's certificate chain, leaf first
 */
public record SignedPolicy(String cluster, long version, String sha256, String digest, String name, Instant signedAt,
                           byte[] signature, List<X509Certificate> signer) {

    public SignedPolicy {
        signature = signature.clone();
        signer = List.copyOf(signer);
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The signed bytes. */
    public byte[] canonical() {
        return canonical(cluster, version, sha256, digest);
    }

    public static byte[] canonical(String cluster, long version, String sha256, String digest) {
        return ("dsi-signed-policy/1\ncluster=" + cluster + "\nversion=" + version + "\nsha256=" + sha256
                + "\ndigest=" + digest + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("cluster", cluster);
        o.put("version", version);
        o.put("sha256", sha256);
        o.put("digest", digest);
        o.put("name", name);
        Json.put(o, "signedAt", signedAt);
        o.put("signature", Json.b64(signature));
        o.set("signer", Json.certificates(signer));
        return o;
    }

    public static SignedPolicy fromJson(JsonNode n) {
        return new SignedPolicy(Json.text(n, "cluster"), n.path("version").asLong(), Json.text(n, "sha256"),
                Json.text(n, "digest"), Json.textOr(n, "name", ""), Json.instant(n, "signedAt"),
                Json.unb64(n, "signature"), Json.certificates(n.get("signer")));
    }

    @Override
    public String toString() {
        return "SignedPolicy[" + cluster + " v" + version + " sha256 " + sha256.substring(0, Math.min(12, sha256.length()))
                + "]";
    }
}
