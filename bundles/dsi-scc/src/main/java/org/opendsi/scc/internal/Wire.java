package org.opendsi.scc.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.UUID;
import org.opendsi.scc.SccException;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccPriority;

/** Envelope field names, message types and the JSON codec of the wire protocol (see PROTOCOL.md). */
final class Wire {
    static final int MAJOR = 1;
    static final int MINOR = 1;
    static final String VERSION = MAJOR + "." + MINOR;

    // message types
    static final String HELLO = "HELLO";
    static final String PING = "PING";
    static final String PONG = "PONG";
    static final String SUB = "SUB";
    static final String UNSUB = "UNSUB";
    static final String PUB = "PUB";
    static final String ACK = "ACK";
    static final String REQ = "REQ";
    static final String REP = "REP";
    static final String ERR = "ERR";
    /** 1.1: a peer presents a renewed certificate on its open connection. */
    static final String REAUTH = "REAUTH";

    // error codes
    static final String E_UNSUPPORTED_VERSION = "unsupported-version";
    static final String E_UNKNOWN_TYPE = "unknown-type";
    static final String E_MALFORMED = "malformed";
    static final String E_PROTOCOL = "protocol";
    static final String E_HELLO_TIMEOUT = "hello-timeout";
    static final String E_NO_HANDLER = "no-handler";
    static final String E_HANDLER_FAILED = "handler-failed";
    static final String E_DISCONNECTED = "disconnected";
    static final String E_REPLACED = "replaced";
    static final String E_REAUTH_REFUSED = "reauth-refused";

    /** Bytes of the random nonce each side sends in its HELLO (1.1); REAUTH proofs are bound to both. */
    static final int NONCE_BYTES = 32;
    /** Most certificates a REAUTH chain may carry. */
    static final int MAX_REAUTH_CHAIN = 8;
    private static final byte[] REAUTH_CONTEXT = "DSI-SCC-REAUTH-1\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Wire() {
    }

    static ObjectNode envelope(String type) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("v", MAJOR);
        n.put("t", type);
        return n;
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    /** Builds a PUB/REQ/REP envelope. */
    static ObjectNode message(String type, String id, String topic, SccPriority priority, String correlationId,
                              JsonNode payload, boolean ack) {
        ObjectNode n = envelope(type);
        n.put("id", id);
        if (topic != null) {
            n.put("topic", topic);
        }
        n.put("pri", priority.name());
        if (correlationId != null) {
            n.put("cid", correlationId);
        }
        if (ack) {
            n.put("ack", true);
        }
        n.put("ts", System.currentTimeMillis());
        n.set("p", payload == null ? NullNode.getInstance() : payload);
        return n;
    }

    static ObjectNode error(String correlationId, String code, String text, boolean fatal) {
        ObjectNode n = envelope(ERR);
        if (correlationId != null) {
            n.put("cid", correlationId);
        }
        n.put("code", code);
        n.put("msg", text);
        n.put("fatal", fatal);
        return n;
    }

    /** JSON of the envelope with its 4-byte big-endian length prefix. */
    static byte[] encode(ObjectNode envelope, int maxFrameSize) {
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(envelope);
        } catch (JsonProcessingException e) {
            throw new SccException(SccException.CONFIG, "cannot encode message: " + e.getMessage(), e);
        }
        if (json.length > maxFrameSize) {
            throw new SccException(SccException.TOO_LARGE,
                    "message of " + json.length + " bytes exceeds the maximum frame size " + maxFrameSize);
        }
        byte[] frame = new byte[json.length + 4];
        frame[0] = (byte) (json.length >>> 24);
        frame[1] = (byte) (json.length >>> 16);
        frame[2] = (byte) (json.length >>> 8);
        frame[3] = (byte) json.length;
        System.arraycopy(json, 0, frame, 4, json.length);
        return frame;
    }

    /**
     * What a REAUTH signature covers: a fixed context, which side signs, both HELLO nonces of the
     * connection and the SHA-256 of the new leaf. Bound to one connection, so a proof seen on one
     * connection is worth nothing on another, and to one direction, so it cannot be reflected.
     */
    static byte[] reauthTranscript(boolean signedByClient, byte[] clientNonce, byte[] serverNonce, byte[] leafDer) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(REAUTH_CONTEXT);
            out.write(signedByClient ? 'C' : 'S');
            out.writeBytes(clientNonce);
            out.writeBytes(serverNonce);
            out.writeBytes(sha.digest(leafDer));
            return out.toByteArray();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    static JsonNode decode(byte[] json) throws IOException {
        return MAPPER.readTree(json);
    }

    static SccMessage toMessage(JsonNode n) {
        String id = text(n, "id");
        String topic = text(n, "topic");
        SccPriority pri = priority(n);
        long ts = n.path("ts").asLong(System.currentTimeMillis());
        JsonNode p = n.has("p") ? n.get("p") : NullNode.getInstance();
        return new SccMessage(id == null ? "" : id, topic == null ? "" : topic, pri, text(n, "cid"), p,
                Instant.ofEpochMilli(ts));
    }

    static SccPriority priority(JsonNode n) {
        String p = text(n, "pri");
        if (p == null) {
            return SccPriority.CONTROL;
        }
        try {
            return SccPriority.valueOf(p);
        } catch (IllegalArgumentException e) {
            return SccPriority.BULK;
        }
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
