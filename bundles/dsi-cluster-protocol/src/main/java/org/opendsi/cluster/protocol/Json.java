package org.opendsi.cluster.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;

/** JSON helpers of the cluster protocol (Jackson trees, base64 for binary, ISO-8601 instants). */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    public static byte[] unb64(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing base64 field '" + field + "'");
        }
        return Base64.getDecoder().decode(v.asText());
    }

    public static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return v.asText();
    }

    public static String textOr(JsonNode n, String field, String def) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? def : v.asText();
    }

    public static Instant instant(JsonNode n, String field) {
        String s = textOr(n, field, null);
        return s == null ? null : Instant.parse(s);
    }

    public static void put(ObjectNode o, String field, Instant i) {
        if (i == null) {
            o.putNull(field);
        } else {
            o.put(field, i.toString());
        }
    }

    public static ArrayNode certificates(List<X509Certificate> certs) {
        ArrayNode a = MAPPER.createArrayNode();
        for (X509Certificate c : certs) {
            a.add(b64(der(c)));
        }
        return a;
    }

    public static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("cannot encode certificate", e);
        }
    }

    public static List<X509Certificate> certificates(JsonNode array) {
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("missing certificate list");
        }
        List<X509Certificate> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(certificate(Base64.getDecoder().decode(n.asText())));
        }
        return out;
    }

    public static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("unreadable certificate: " + e.getMessage(), e);
        }
    }

    public static X509CRL crl(byte[] der) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (Exception e) {
            throw new IllegalArgumentException("unreadable CRL: " + e.getMessage(), e);
        }
    }

    public static byte[] der(X509CRL crl) {
        try {
            return crl.getEncoded();
        } catch (java.security.cert.CRLException e) {
            throw new IllegalArgumentException("cannot encode CRL", e);
        }
    }

    public static ObjectNode alarm(Alarm a) {
        ObjectNode o = object();
        o.put("id", a.id());
        o.put("priority", a.priority().name());
        o.put("snid", Integer.toUnsignedLong(a.snid()));
        o.put("node", a.node());
        put(o, "time", a.time());
        o.put("source", a.source());
        o.put("text", a.text());
        return o;
    }

    public static Alarm alarm(JsonNode n) {
        return new Alarm(text(n, "id"), AlarmPriority.valueOf(text(n, "priority")), (int) n.path("snid").asLong(),
                textOr(n, "node", "?"), instant(n, "time"), textOr(n, "source", "?"), text(n, "text"));
    }

    public static byte[] bytes(JsonNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode parse(byte[] b) throws IOException {
        return MAPPER.readTree(b);
    }

    /** The label key epochs with their master secrets, as both Security Server stores keep them. */
    public static ObjectNode labelKeys(org.opendsi.ss.StoredLabelKeys keys) {
        ObjectNode o = object();
        o.put("sendEpoch", keys.sendEpoch());
        o.put("lastEpoch", keys.lastEpoch());
        ArrayNode a = o.putArray("epochs");
        for (org.opendsi.ss.StoredLabelKeys.Epoch e : keys.epochs()) {
            ObjectNode n = a.addObject();
            n.put("epoch", e.epoch());
            put(n, "created", e.created());
            n.put("master", b64(e.master()));
        }
        return o;
    }

    public static org.opendsi.ss.StoredLabelKeys labelKeys(JsonNode o) {
        List<org.opendsi.ss.StoredLabelKeys.Epoch> epochs = new java.util.ArrayList<>();
        for (JsonNode n : o.path("epochs")) {
            epochs.add(new org.opendsi.ss.StoredLabelKeys.Epoch(n.path("epoch").asInt(), instant(n, "created"),
                    unb64(n, "master")));
        }
        return new org.opendsi.ss.StoredLabelKeys(o.path("sendEpoch").asInt(), o.path("lastEpoch").asInt(), epochs);
    }
}
