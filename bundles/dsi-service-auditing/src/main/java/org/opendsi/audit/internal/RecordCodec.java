package org.opendsi.audit.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.opendsi.api.audit.AuditRecord;

/**
 * The journal's line format: one flat JSON object per record, fields in a fixed order, the hash
 * last. The hash is the SHA-256 of the line's "body" (the object without its hash field), which
 * contains the previous record's hash: a chain.
 */
final class RecordCodec {

    static final String HASH_FIELD = ",\"hash\":\"";

    private RecordCodec() {
    }

    /** The canonical body (no hash field) of a record. */
    static String body(AuditRecord r) {
        StringBuilder sb = new StringBuilder(512);
        sb.append('{');
        num(sb, "seq", r.seq()).append(',');
        str(sb, "time", r.time().toString()).append(',');
        str(sb, "type", r.type()).append(',');
        str(sb, "node", r.node()).append(',');
        str(sb, "permission", r.permission()).append(',');
        num(sb, "scid", Integer.toUnsignedLong(r.srcScid())).append(',');
        num(sb, "snid", Integer.toUnsignedLong(r.srcSnid())).append(',');
        num(sb, "tscid", Integer.toUnsignedLong(r.tgtScid())).append(',');
        num(sb, "tsnid", Integer.toUnsignedLong(r.tgtSnid())).append(',');
        num(sb, "rule", Integer.toUnsignedLong(r.ruleId())).append(',');
        num(sb, "ruleLine", r.ruleLine()).append(',');
        str(sb, "ruleLabel", r.ruleLabel()).append(',');
        num(sb, "policy", r.policyVersion()).append(',');
        num(sb, "pid", r.pid()).append(',');
        str(sb, "comm", r.comm()).append(',');
        str(sb, "path", r.path()).append(',');
        str(sb, "proto", r.protocol()).append(',');
        str(sb, "src", r.srcAddr()).append(',');
        num(sb, "sport", r.srcPort()).append(',');
        str(sb, "dst", r.dstAddr()).append(',');
        num(sb, "dport", r.dstPort()).append(',');
        num(sb, "suppressed", r.suppressed()).append(',');
        str(sb, "text", r.text()).append(',');
        str(sb, "prev", r.prevHash());
        return sb.append('}').toString();
    }

    /** The journal line (no newline) of a record whose hash is computed from its body. */
    static String line(String body, String hash) {
        return body.substring(0, body.length() - 1) + HASH_FIELD + hash + "\"}";
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Splits a line into body and stored hash; null when the line has no well-formed hash field. */
    static String[] split(String line) {
        int i = line.lastIndexOf(HASH_FIELD);
        if (i < 0 || !line.endsWith("\"}") || line.length() - 2 - (i + HASH_FIELD.length()) != 64) {
            return null;
        }
        return new String[] {line.substring(0, i) + "}", line.substring(i + HASH_FIELD.length(), line.length() - 2)};
    }

    /** Parses a journal line (with its hash field). Throws IllegalArgumentException on bad syntax. */
    static AuditRecord parse(String line) {
        Map<String, Object> m = parseObject(line);
        return new AuditRecord(l(m, "seq"), Instant.parse(s(m, "time")), s(m, "type"), s(m, "node"), s(m, "permission"),
                (int) l(m, "scid"), (int) l(m, "snid"), (int) l(m, "tscid"), (int) l(m, "tsnid"),
                (int) l(m, "rule"), (int) l(m, "ruleLine"), s(m, "ruleLabel"), l(m, "policy"),
                (int) l(m, "pid"), s(m, "comm"), s(m, "path"), s(m, "proto"),
                s(m, "src"), (int) l(m, "sport"), s(m, "dst"), (int) l(m, "dport"),
                l(m, "suppressed"), s(m, "text"), s(m, "prev"), s(m, "hash"));
    }

    private static String s(Map<String, Object> m, String k) {
        Object v = m.get(k);
        return v == null ? "" : v.toString();
    }

    private static long l(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (v instanceof Long n) {
            return n;
        }
        return 0;
    }

    private static StringBuilder num(StringBuilder sb, String k, long v) {
        return sb.append('"').append(k).append("\":").append(v);
    }

    private static StringBuilder str(StringBuilder sb, String k, String v) {
        sb.append('"').append(k).append("\":");
        return quote(sb, v == null ? "" : v);
    }

    static StringBuilder quote(StringBuilder sb, String v) {
        sb.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    /** A flat JSON object of strings, integers, booleans and nulls. */
    static Map<String, Object> parseObject(String s) {
        Map<String, Object> m = new LinkedHashMap<>();
        int[] p = {0};
        skipWs(s, p);
        expect(s, p, '{');
        skipWs(s, p);
        if (peek(s, p) == '}') {
            p[0]++;
            return m;
        }
        while (true) {
            skipWs(s, p);
            String key = string(s, p);
            skipWs(s, p);
            expect(s, p, ':');
            skipWs(s, p);
            char c = peek(s, p);
            Object v;
            if (c == '"') {
                v = string(s, p);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                int start = p[0]++;
                while (p[0] < s.length() && Character.isDigit(s.charAt(p[0]))) {
                    p[0]++;
                }
                v = Long.parseLong(s.substring(start, p[0]));
            } else if (s.startsWith("null", p[0])) {
                p[0] += 4;
                v = null;
            } else if (s.startsWith("true", p[0])) {
                p[0] += 4;
                v = Boolean.TRUE;
            } else if (s.startsWith("false", p[0])) {
                p[0] += 5;
                v = Boolean.FALSE;
            } else {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + p[0]);
            }
            m.put(key, v);
            skipWs(s, p);
            char n = peek(s, p);
            p[0]++;
            if (n == '}') {
                skipWs(s, p);
                if (p[0] != s.length()) {
                    throw new IllegalArgumentException("text after the object at " + p[0]);
                }
                return m;
            }
            if (n != ',') {
                throw new IllegalArgumentException("expected ',' or '}' at " + (p[0] - 1));
            }
        }
    }

    private static char peek(String s, int[] p) {
        if (p[0] >= s.length()) {
            throw new IllegalArgumentException("truncated line");
        }
        return s.charAt(p[0]);
    }

    private static void expect(String s, int[] p, char c) {
        if (peek(s, p) != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + p[0]);
        }
        p[0]++;
    }

    private static void skipWs(String s, int[] p) {
        while (p[0] < s.length() && Character.isWhitespace(s.charAt(p[0]))) {
            p[0]++;
        }
    }

    private static String string(String s, int[] p) {
        expect(s, p, '"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = peek(s, p);
            p[0]++;
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\') {
                char e = peek(s, p);
                p[0]++;
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (p[0] + 4 > s.length()) {
                            throw new IllegalArgumentException("truncated escape");
                        }
                        sb.append((char) Integer.parseInt(s.substring(p[0], p[0] + 4), 16));
                        p[0] += 4;
                    }
                    default -> sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
    }
}
