package org.opendsi.cluster.protocol;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.RenewalRequest;

/**
 * The messages of the cluster protocol as types, and their one codec (JSON payloads of SCC frames).
 * The Security Server and the Security Manager both encode and decode through here, so the two
 * sides cannot drift. Which topic carries which message: {@link ClusterTopics}. The policy envelope
 * is {@link PolicyMessage}, an alarm {@link Json#alarm}, an audit checkpoint {@link AuditCheckpoints}.
 * Certificates and CRLs travel as base64 DER, label keys as base64.
 */
public final class ClusterMessages {

    private ClusterMessages() {
    }

    /** SM -> SS after every (re)connection: who it is and which signed policy it runs. */
    public record Hello(int snid, String name, String address, long signedVersion, String sha256) {
    }

    /** SS -> SM, reply to {@link Hello}: the SS's policy version, its CRL, the anchor it keeps of the node's audit journal. */
    public record HelloReply(long version, X509CRL crl, Optional<AuditCheckpoint> auditAnchor) {
    }

    /** SS -> SM: the current root CRL. */
    public record CrlUpdate(X509CRL crl) {
    }

    /** SM -> SS: what the SM did with a policy version (error null when it applied it). */
    public record PolicyAck(long version, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    /** SM -> SS, periodic: the node's state. */
    public record Status(long signedVersion, long policyVersion, String digest, int queuedAlarms, Instant certExpiry) {
    }

    /** SS -> SM, reply to an alarm: stored (or already stored under that id). */
    public record AlarmStored(boolean duplicate) {
    }

    /** SS -> SM, reply to a renewal request ({@link RenewalRequest}): the new certificate. */
    public record Renewed(X509Certificate certificate) {
    }

    /** SS -> SM, reply to an audit checkpoint: the anchor the SS keeps for the node. */
    public record CheckpointStored(AuditCheckpoint anchor) {
    }

    /** Label epochs carry only their low 8 bits on the wire, and 0 there means "no key". */
    public static final int EPOCH_WIRE_MASK = 0xff;

    /**
     * One label key: its epoch (1.., only the low 8 bits travel in a label), the SnID of the peer it is
     * shared with, and 16 key bytes, which never appear in {@link #toString()}.
     */
    public record LabelKey(int epoch, int peer, byte[] key) {
        public LabelKey {
            if (epoch <= 0) {
                throw new IllegalArgumentException("label key epoch " + epoch + " is not positive");
            }
            if (key == null || key.length != 16) {
                throw new IllegalArgumentException("a label key has 16 bytes");
            }
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LabelKey k && k.epoch == epoch && k.peer == peer
                    && java.security.MessageDigest.isEqual(k.key, key);
        }

        @Override
        public int hashCode() {
            return 31 * epoch + peer;
        }

        @Override
        public String toString() {
            return "LabelKey[epoch=" + epoch + ", peer=" + Integer.toUnsignedString(peer) + "]";
        }
    }

    /**
     * SS -> SM: every label key the node may hold (its pairs, its own SnID included, for each epoch
     * held); it replaces the node's whole set. Labels are written with the keys of {@code sendEpoch}
     * and accepted under any epoch held. At most two epochs, whose low 8 bits differ and are not 0; the
     * send epoch is one of them (0 with no keys: none).
     */
    public record LabelKeySet(int sendEpoch, List<LabelKey> keys) {
        public LabelKeySet {
            keys = List.copyOf(keys);
            SortedSet<Integer> epochs = new TreeSet<>();
            Set<Integer> wire = new HashSet<>();
            Set<Long> pairs = new HashSet<>();
            for (LabelKey k : keys) {
                if (epochs.add(k.epoch()) && !wire.add(k.epoch() & EPOCH_WIRE_MASK)) {
                    throw new IllegalArgumentException("label key epochs " + epochs + " share their low 8 bits");
                }
                if ((k.epoch() & EPOCH_WIRE_MASK) == 0) {
                    throw new IllegalArgumentException("label key epoch " + k.epoch() + " would travel as 0 (no key)");
                }
                if (!pairs.add(((long) k.epoch() << 32) | Integer.toUnsignedLong(k.peer()))) {
                    throw new IllegalArgumentException("two label keys for epoch " + k.epoch() + " and peer "
                            + Integer.toUnsignedString(k.peer()));
                }
            }
            if (epochs.size() > 2) {
                throw new IllegalArgumentException("more than two label key epochs: " + epochs);
            }
            if (keys.isEmpty() ? sendEpoch != 0 : !epochs.contains(sendEpoch)) {
                throw new IllegalArgumentException("send epoch " + sendEpoch + " is not among the epochs held " + epochs);
            }
        }

        /** The epochs of the keys, ascending. */
        public List<Integer> epochs() {
            return List.copyOf(new TreeSet<>(keys.stream().map(LabelKey::epoch).toList()));
        }

        @Override
        public String toString() {   // never the key bytes
            return "LabelKeySet[sendEpoch=" + sendEpoch + ", epochs=" + epochs() + ", keys=" + keys.size() + "]";
        }
    }

    /**
     * SM -> SS: what the node holds after a {@link LabelKeySet}: its send epoch and epochs, and why the
     * kernel does not hold them (null when it does).
     */
    public record LabelKeysAck(int sendEpoch, List<Integer> epochs, String error) {
        public LabelKeysAck {
            epochs = List.copyOf(epochs);
        }

        public boolean ok() {
            return error == null;
        }
    }

    // ---------------------------------------------------------------- encode

    public static ObjectNode encode(Hello h) {
        ObjectNode o = Json.object();
        o.put("snid", Integer.toUnsignedLong(h.snid()));
        o.put("name", h.name());
        o.put("address", h.address());
        o.put("version", h.signedVersion());
        o.put("sha256", h.sha256());
        return o;
    }

    public static ObjectNode encode(HelloReply r) {
        ObjectNode o = Json.object();
        o.put("version", r.version());
        o.put("crl", Json.b64(Json.der(r.crl())));
        r.auditAnchor().ifPresent(a -> o.set("auditAnchor", AuditCheckpoints.toJson(a)));
        return o;
    }

    public static ObjectNode encode(CrlUpdate c) {
        ObjectNode o = Json.object();
        o.put("crl", Json.b64(Json.der(c.crl())));
        return o;
    }

    public static ObjectNode encode(PolicyAck a) {
        ObjectNode o = Json.object();
        o.put("version", a.version());
        o.put("ok", a.ok());
        if (a.error() != null) {
            o.put("error", a.error());
        }
        return o;
    }

    public static ObjectNode encode(Status s) {
        ObjectNode o = Json.object();
        o.put("version", s.signedVersion());
        o.put("policyVersion", s.policyVersion());
        o.put("digest", s.digest());
        o.put("queuedAlarms", s.queuedAlarms());
        Json.put(o, "certExpiry", s.certExpiry());
        return o;
    }

    public static ObjectNode encode(AlarmStored a) {
        ObjectNode o = Json.object();
        o.put("stored", true);
        o.put("duplicate", a.duplicate());
        return o;
    }

    public static ObjectNode encode(RenewalRequest r) {
        ObjectNode o = Json.object();
        o.put("role", r.role().name());
        o.put("csr", Json.b64(r.csr()));
        o.put("current", Json.b64(Json.der(r.current())));
        o.put("proof", Json.b64(r.proof()));
        return o;
    }

    public static ObjectNode encode(Renewed r) {
        ObjectNode o = Json.object();
        o.put("certificate", Json.b64(Json.der(r.certificate())));
        return o;
    }

    public static ObjectNode encode(CheckpointStored c) {
        ObjectNode o = Json.object();
        o.set("anchor", AuditCheckpoints.toJson(c.anchor()));
        return o;
    }

    public static ObjectNode encode(LabelKeySet set) {
        ObjectNode o = Json.object();
        o.put("sendEpoch", set.sendEpoch());
        ArrayNode a = o.putArray("keys");
        for (LabelKey k : set.keys()) {
            ObjectNode e = a.addObject();
            e.put("epoch", k.epoch());
            e.put("peer", Integer.toUnsignedLong(k.peer()));
            e.put("key", Json.b64(k.key()));
        }
        return o;
    }

    public static ObjectNode encode(LabelKeysAck a) {
        ObjectNode o = Json.object();
        o.put("sendEpoch", a.sendEpoch());
        ArrayNode epochs = o.putArray("epochs");
        a.epochs().forEach(epochs::add);
        o.put("ok", a.ok());
        if (a.error() != null) {
            o.put("error", a.error());
        }
        return o;
    }

    // ---------------------------------------------------------------- decode

    public static Hello hello(JsonNode n) {
        return new Hello((int) n.path("snid").asLong(), Json.textOr(n, "name", ""), Json.textOr(n, "address", ""),
                n.path("version").asLong(), Json.textOr(n, "sha256", ""));
    }

    public static HelloReply helloReply(JsonNode n) {
        return new HelloReply(n.path("version").asLong(), Json.crl(Json.unb64(n, "crl")),
                n.has("auditAnchor") ? Optional.of(AuditCheckpoints.fromJson(n.get("auditAnchor"))) : Optional.empty());
    }

    public static CrlUpdate crlUpdate(JsonNode n) {
        return new CrlUpdate(Json.crl(Json.unb64(n, "crl")));
    }

    public static PolicyAck policyAck(JsonNode n) {
        boolean ok = n.path("ok").asBoolean();
        String error = Json.textOr(n, "error", null);
        return new PolicyAck(n.path("version").asLong(), ok ? null : error == null ? "refused" : error);
    }

    public static Status status(JsonNode n) {
        return new Status(n.path("version").asLong(), n.path("policyVersion").asLong(), Json.textOr(n, "digest", ""),
                n.path("queuedAlarms").asInt(), Json.instant(n, "certExpiry"));
    }

    public static AlarmStored alarmStored(JsonNode n) {
        if (!n.path("stored").asBoolean()) {
            throw new IllegalArgumentException("the alarm was not stored");
        }
        return new AlarmStored(n.path("duplicate").asBoolean());
    }

    public static RenewalRequest renewalRequest(JsonNode n) {
        return new RenewalRequest(CertificateRole.valueOf(Json.text(n, "role")), Json.unb64(n, "csr"),
                Json.certificate(Json.unb64(n, "current")), Json.unb64(n, "proof"));
    }

    public static Renewed renewed(JsonNode n) {
        return new Renewed(Json.certificate(Json.unb64(n, "certificate")));
    }

    public static CheckpointStored checkpointStored(JsonNode n) {
        return new CheckpointStored(AuditCheckpoints.fromJson(n.get("anchor")));
    }

    /** @throws IllegalArgumentException when the set is malformed (see {@link LabelKeySet}) */
    public static LabelKeySet labelKeySet(JsonNode n) {
        JsonNode keys = n.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new IllegalArgumentException("missing label key list");
        }
        List<LabelKey> out = new ArrayList<>();
        for (JsonNode k : keys) {
            out.add(new LabelKey(epoch(k, "epoch"), (int) k.path("peer").asLong(), Json.unb64(k, "key")));
        }
        return new LabelKeySet(epoch(n, "sendEpoch"), out);
    }

    public static LabelKeysAck labelKeysAck(JsonNode n) {
        List<Integer> epochs = new ArrayList<>();
        for (JsonNode e : n.path("epochs")) {
            epochs.add(e.asInt());
        }
        boolean ok = n.path("ok").asBoolean();
        String error = Json.textOr(n, "error", null);
        return new LabelKeysAck(epoch(n, "sendEpoch"), epochs, ok ? null : error == null ? "refused" : error);
    }

    private static int epoch(JsonNode n, String field) {
        long v = n.path(field).asLong(-1);
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + field + "' is not an epoch");
        }
        return (int) v;
    }
}
