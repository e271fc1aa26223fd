package org.opendsi.ss.internal;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Amends a DSP source so that node {@code snid} is declared compromised: its {@code <node>} element
 * gets {@code compromised="true"}. Works on the text, so everything else (comments, layout, the
 * node's rules kept for the record) stays byte for byte, and the amendment travels as a small patch.
 */
public final class PolicyAmender {

    private static final Pattern NODE = Pattern.compile("<node\\b[^>]*>");
    private static final Pattern SNID = Pattern.compile("\\bsnid\\s*=\\s*[\"']\\s*(\\d+)\\s*[\"']");
    private static final Pattern COMPROMISED = Pattern.compile("\\bcompromised\\s*=\\s*([\"'])[^\"']*\\1");

    private PolicyAmender() {
    }

    /** The amended source, or null when the policy declares no node with that SnID. */
    public static byte[] markCompromised(byte[] xml, int snid) {
        String s = new String(xml, StandardCharsets.UTF_8);
        Matcher m = NODE.matcher(s);
        while (m.find()) {
            String el = m.group();
            Matcher id = SNID.matcher(el);
            if (!id.find() || Long.parseLong(id.group(1)) != Integer.toUnsignedLong(snid)) {
                continue;
            }
            String amended;
            Matcher c = COMPROMISED.matcher(el);
            if (c.find()) {
                amended = el.substring(0, c.start()) + "compromised=\"true\"" + el.substring(c.end());
            } else {
                int end = el.endsWith("/>") ? el.length() - 2 : el.length() - 1;
                String head = el.substring(0, end);
                String trimmed = head.stripTrailing();
                amended = trimmed + " compromised=\"true\"" + head.substring(trimmed.length()) + el.substring(end);
            }
            return (s.substring(0, m.start()) + amended + s.substring(m.end())).getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }
}
