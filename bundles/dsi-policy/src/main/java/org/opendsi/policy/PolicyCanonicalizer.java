package org.opendsi.policy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;

/**
 * The canonical form of a DSP and its SHA-256 digest.
 *
 * <p>The canonical form is built from the parsed model, not from the XML text, so whitespace,
 * comments, attribute order, the XML declaration, number spelling ("010" = "10"), permission order
 * and {@code all} vs. the explicit list, and the order of elements inside every section (order
 * never matters in a DSP: deny beats allow regardless of position) do not change it. It has one
 * line per statement, statements sorted within their section. Rule ids and source positions are
 * <em>not</em> part of it: they number the statements but do not change any decision; names are
 * part of it, since they appear in decision labels.
 */
public final class PolicyCanonicalizer {

    public static final String HEADER = "dsp-canonical/1";

    private PolicyCanonicalizer() {
    }

    public static String canonicalForm(PolicyModel m) {
        StringBuilder sb = new StringBuilder(256 + 64 * (m.accessRules().size() + m.contexts().size()));
        sb.append(HEADER).append('\n');
        sb.append("name ").append(quote(m.name())).append('\n');
        sb.append("default ").append(m.defaultAllow() ? "allow" : "deny").append(" external ")
                .append(m.externalAllow() ? "allow" : "deny").append('\n');
        List<String> lines = new ArrayList<>();
        for (PolicyModel.Context c : m.contexts()) {
            lines.add("context " + u(c.scid()) + " " + (c.audit() ? "audit" : "enforce") + " " + quote(c.name()));
        }
        section(sb, lines);
        for (PolicyModel.Node n : m.nodes()) {
            lines.add("node " + u(n.snid()) + " " + Ipv4.format(n.address()) + " " + quote(n.name())
                    + (n.compromised() ? " compromised" : ""));
        }
        section(sb, lines);
        for (PolicyModel.SocketLabel s : m.socketLabels()) {
            lines.add("socket " + (s.protocol() == 6 ? "tcp" : "udp") + " " + s.port() + " "
                    + SecurityIds.format(s.snid()) + " " + u(s.scid()) + " " + quote(s.name()));
        }
        section(sb, lines);
        for (PolicyModel.AccessRule a : m.accessRules()) {
            StringBuilder nodes = new StringBuilder();
            if (a.sourceNodes().isEmpty()) {
                nodes.append('*');
            } else {
                for (int n : a.sourceNodes()) {
                    nodes.append(nodes.length() == 0 ? "" : ",").append(u(n));
                }
            }
            lines.add(a.kind() + " " + u(a.source()) + " " + u(a.target()) + " " + nodes + " " + perms(a.permMask())
                    + " " + quote(a.name()));
        }
        section(sb, lines);
        for (PolicyModel.TransitionRule t : m.transitions()) {
            lines.add("transition " + u(t.parent()) + " " + u(t.binary()) + " " + u(t.newScid()) + " "
                    + quote(t.name()));
        }
        section(sb, lines);
        for (PolicyModel.ExternalRule e : m.externals()) {
            lines.add("external " + SecurityIds.format(e.scid()) + " " + Ipv4.formatCidr(e.prefix(), e.prefixLen())
                    + " " + (e.allow() ? "allow" : "deny") + " " + perms(e.permMask()) + " " + quote(e.name()));
        }
        section(sb, lines);
        for (PolicyModel.Zone z : m.zones()) {
            StringBuilder members = new StringBuilder();
            for (int c : z.contexts()) {
                members.append(members.length() == 0 ? "" : ",").append(u(c));
            }
            lines.add(z.kind() + " " + quote(z.name()) + " " + members);
        }
        section(sb, lines);
        return sb.toString();
    }

    /** Lower-case hex SHA-256 of the canonical form (UTF-8). */
    public static String digest(PolicyModel m) {
        return HexFormat.of().formatHex(sha256(canonicalForm(m)));
    }

    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static void section(StringBuilder sb, List<String> lines) {
        Collections.sort(lines);
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        lines.clear();
    }

    private static String u(int id) {
        return Integer.toUnsignedString(id);
    }

    private static String perms(int mask) {
        StringBuilder sb = new StringBuilder();
        for (Permission p : Permission.fromMask(mask)) {
            sb.append(sb.length() == 0 ? "" : ",").append(p.xmlName());
        }
        return sb.toString();
    }

    /** "-" for null, else a double-quoted string with \\, \" and control characters escaped. */
    static String quote(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
