package org.opendsi.cluster.protocol;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.keys.KeyAlgorithm;

/**
 * Audit checkpoints on the wire ({@link ClusterTopics#AUDIT_CHECKPOINT}): a node signs each one
 * with its channel key, so the Security Server keeps evidence that this node reported this tail,
 * not only that some connection did. Signed bytes: {@code "DSI-AUDIT-CHECKPOINT-1\0"}, SnID (4
 * bytes), seq, firstSeq (8 bytes each, big-endian), hash and time (ISO-8601) as ASCII, each
 * followed by a NUL.
 */
public final class AuditCheckpoints {

    private static final byte[] CONTEXT = "DSI-AUDIT-CHECKPOINT-1\0".getBytes(StandardCharsets.US_ASCII);

    private AuditCheckpoints() {
    }

    static byte[] signedBytes(int snid, AuditCheckpoint c) {
        try (ByteArrayOutputStream b = new ByteArrayOutputStream(); DataOutputStream d = new DataOutputStream(b)) {
            d.write(CONTEXT);
            d.writeInt(snid);
            d.writeLong(c.seq());
            d.writeLong(c.firstSeq());
            d.write(c.hash().getBytes(StandardCharsets.US_ASCII));
            d.write(0);
            d.write(c.time().toString().getBytes(StandardCharsets.US_ASCII));
            d.write(0);
            d.flush();
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The message of node {@code snid} for {@code c}, signed with {@code key}. */
    public static ObjectNode signed(int snid, AuditCheckpoint c, PrivateKey key) {
        try {
            Signature s = Signature.getInstance(KeyAlgorithm.of(key).signatureAlgorithm());
            s.initSign(key);
            s.update(signedBytes(snid, c));
            ObjectNode o = toJson(c);
            o.put("signature", Json.b64(s.sign()));
            return o;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the audit checkpoint: " + e.getMessage(), e);
        }
    }

    /** The checkpoint in {@code n} if its signature by node {@code snid}'s {@code key} holds; else an exception. */
    public static AuditCheckpoint verified(int snid, JsonNode n, PublicKey key) {
        AuditCheckpoint c = fromJson(n);
        try {
            Signature s = Signature.getInstance(KeyAlgorithm.of(key).signatureAlgorithm());
            s.initVerify(key);
            s.update(signedBytes(snid, c));
            if (!s.verify(Json.unb64(n, "signature"))) {
                throw new IllegalArgumentException("the audit checkpoint's signature does not verify with node " + snid
                        + "'s certificate");
            }
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the audit checkpoint's signature cannot be checked: " + e.getMessage(), e);
        }
    }

    public static ObjectNode toJson(AuditCheckpoint c) {
        ObjectNode o = Json.object();
        o.put("seq", c.seq());
        o.put("hash", c.hash());
        o.put("firstSeq", c.firstSeq());
        o.put("time", c.time().toString());
        return o;
    }

    public static AuditCheckpoint fromJson(JsonNode n) {
        String hash = Json.text(n, "hash");
        if (!hash.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("audit checkpoint: hash is not 64 hex digits");
        }
        long seq = n.path("seq").asLong(-1);
        long first = n.path("firstSeq").asLong(-1);
        if (seq < 0 || first < 0) {
            throw new IllegalArgumentException("audit checkpoint: seq and firstSeq must be non-negative numbers");
        }
        return new AuditCheckpoint(seq, hash, first, Instant.parse(Json.text(n, "time")));
    }
}
