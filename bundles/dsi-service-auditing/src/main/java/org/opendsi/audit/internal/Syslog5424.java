package org.opendsi.audit.internal;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

import org.opendsi.api.audit.AuditRecord;

/**
 * RFC 5424 messages for audit records, framed by octet counting (RFC 6587 section 3.4.1, the
 * framing RFC 5425 mandates for TLS).
 *
 * <pre>&lt;PRI&gt;1 TIMESTAMP HOSTNAME dsi PROCID MSGID [dsi@32473 scid=".." snid=".." ...] text</pre>
 * Facility 13 (log audit); severity by record type. The SD-ID uses the enterprise number 32473
 * that RFC 5612 reserves for documentation, until DSI has its own.
 */
final class Syslog5424 {

    static final String APP_NAME = "dsi";
    static final String SD_ID = "dsi@32473";
    static final int FACILITY_LOG_AUDIT = 13;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Syslog5424() {
    }

    static int severity(String type) {
        return switch (type) {
            case AuditRecord.TYPE_FORGED_LABEL -> 2;   // critical
            case AuditRecord.TYPE_LOST -> 3;           // error
            case AuditRecord.TYPE_DENY, AuditRecord.TYPE_EXEC_DENIED -> 4;   // warning
            case AuditRecord.TYPE_AUDIT_DENY, AuditRecord.TYPE_SERVICE -> 5; // notice
            default -> 6;                                                    // informational
        };
    }

    static String message(AuditRecord r, String hostname, String procId) {
        StringBuilder sb = new StringBuilder(512);
        sb.append('<').append(FACILITY_LOG_AUDIT * 8 + severity(r.type())).append(">1 ")
                .append(TIME.format(r.time().truncatedTo(ChronoUnit.MICROS))).append(' ')
                .append(header(hostname, 255)).append(' ')
                .append(APP_NAME).append(' ')
                .append(header(procId, 128)).append(' ')
                .append(header(r.type(), 32)).append(' ');
        sb.append('[').append(SD_ID);
        param(sb, "seq", Long.toString(r.seq()));
        param(sb, "scid", Integer.toUnsignedString(r.srcScid()));
        param(sb, "snid", Integer.toUnsignedString(r.srcSnid()));
        param(sb, "tscid", Integer.toUnsignedString(r.tgtScid()));
        param(sb, "tsnid", Integer.toUnsignedString(r.tgtSnid()));
        if (!r.permission().isEmpty()) {
            param(sb, "perm", r.permission());
        }
        param(sb, "rule", Integer.toUnsignedString(r.ruleId()));
        if (r.ruleLine() > 0) {
            param(sb, "ruleLine", Integer.toString(r.ruleLine()));
        }
        param(sb, "policy", Long.toString(r.policyVersion()));
        if (r.pid() != 0) {
            param(sb, "pid", Integer.toString(r.pid()));
        }
        if (!r.comm().isEmpty()) {
            param(sb, "comm", r.comm());
        }
        if (!r.protocol().isEmpty()) {
            param(sb, "proto", r.protocol());
            param(sb, "src", r.srcAddr() + ":" + r.srcPort());
            param(sb, "dst", r.dstAddr() + ":" + r.dstPort());
        }
        if (r.suppressed() != 0) {
            param(sb, "suppressed", Long.toString(r.suppressed()));
        }
        param(sb, "hash", r.hash() == null ? "" : r.hash());
        sb.append("] ").append(r.text());
        return sb.toString();
    }

    /** "LEN SP MSG" with LEN the message's length in octets. */
    static byte[] frame(String message) {
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        byte[] len = (msg.length + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[len.length + msg.length];
        System.arraycopy(len, 0, out, 0, len.length);
        System.arraycopy(msg, 0, out, len.length, msg.length);
        return out;
    }

    /** A header field: printable US-ASCII without spaces, bounded, "-" when empty. */
    static String header(String s, int max) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            sb.append(c > 32 && c < 127 ? c : '_');
        }
        return sb.toString();
    }

    private static void param(StringBuilder sb, String name, String value) {
        sb.append(' ').append(name).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\' || c == ']') {
                sb.append('\\');
            }
            sb.append(c);
        }
        sb.append('"');
    }
}
