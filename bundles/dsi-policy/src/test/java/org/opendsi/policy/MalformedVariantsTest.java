package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicyException;

/**
 * A deterministic generator of malformed variants of the samples (truncations, deleted tags and
 * attributes, duplicated and renamed elements, bad attribute values, byte flips, entity tricks).
 * Every mutation is built to be invalid; each variant must be rejected with a PolicyException
 * carrying at least one located error, and nothing else may be thrown.
 */
class MalformedVariantsTest {

    private static final String[] SAMPLES = {"virtual-zones.xml", "virtual-zones-zoned.xml", "boot.xml",
        "permissive.xml", "constructs.xml"};
    private static final int PER_CLASS = 200;
    private static final Pattern SELF_CLOSING = Pattern.compile("<(context|node|socket|transition|external|zone|"
            + "admin-zone|default)\\s[^>]*/>");
    private static final Pattern SECTION_TAG = Pattern.compile("</?(dsp|nodes|contexts|socket-labels|rules|zones)"
            + "(\\s[^>]*)?>");
    private static final Pattern ATTR = Pattern.compile("\\s([a-z-]+)=\"([^\"]*)\"");
    private static final Pattern REQUIRED_ATTR = Pattern.compile("<(context|node|socket|allow|deny|transition|external"
            + "|zone|admin-zone)\\s[^>]*?\\s((scid|snid|name|address|protocol|port|source|target|permissions|parent|"
            + "binary|new|cidr|decision|contexts)=\"[^\"]*\")");
    private static final Map<String, String[]> BAD = new LinkedHashMap<>();

    static {
        BAD.put("scid", new String[] {"abc", "-1", "99999999999", "4294967295", "1e3"});
        BAD.put("snid", new String[] {"abc", "-1", "0", "99999999999"});
        BAD.put("source", new String[] {"abc", "-1", "99999999999", "77", "4294967295"});
        BAD.put("target", new String[] {"abc", "-1", "77", "12x"});
        BAD.put("parent", new String[] {"x", "-2", "77"});
        BAD.put("binary", new String[] {"x", "0", "77"});
        BAD.put("new", new String[] {"x", "0", "77"});
        BAD.put("port", new String[] {"0", "70000", "-5", "http", ""});
        BAD.put("protocol", new String[] {"sctp", "UDP", ""});
        BAD.put("mode", new String[] {"strict", ""});
        BAD.put("decision", new String[] {"maybe", "ALLOW", ""});
        BAD.put("external", new String[] {"perhaps"});
        BAD.put("address", new String[] {"10.77.0.300", "10.77.0", "host", "1.2.3.4.5", ""});
        BAD.put("permissions", new String[] {"fly", "", "create create", "CREATE", "send recieve"});
        BAD.put("contexts", new String[] {"99", "0", "abc", ""});
        BAD.put("cidr", new String[] {"1.2.3.4/40", "192.0.2.1/24", "x/8", "10.0.0.0"});
        BAD.put("source-nodes", new String[] {"9", "abc", "", "1 1"});
        BAD.put("node", new String[] {"9", "x"});
        BAD.put("id", new String[] {"0", "-3", "x", "99999999999"});
    }

    private static final String[] ENTITY_TRICKS = {
        "<!DOCTYPE dsp [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
            + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>",
        "<!DOCTYPE dsp [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
        "<!DOCTYPE dsp SYSTEM \"http://127.0.0.1:9/dsp.dtd\">",
        "<!DOCTYPE dsp [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>",
        "<!DOCTYPE dsp PUBLIC \"-//x//y\" \"file:///etc/hostname\">",
    };
    private static final String[] INLINE_TRICKS = {
        "&xxe;", "&lol9;", "&#0;", "&#x110000;", "&#xD800;", "&amp", "&;", "<![CDATA[x]]>",
        "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\"/>",
        "<!ENTITY x \"y\">", "<?xml version=\"1.0\"?>",
    };

    private static String constructs() {
        return TestSupport.dsp("  <default decision=\"deny\" external=\"allow\"/>\n" + TestSupport.DECLS
                + "  <socket-labels>\n"
                + "    <socket protocol=\"tcp\" port=\"22\" scid=\"1\" node=\"2\" id=\"50\" name=\"ssh\"/>\n"
                + "  </socket-labels>\n"
                + "  <rules>\n"
                + "    <allow source=\"1\" target=\"2\" permissions=\"send receive\" source-nodes=\"1 2\"/>\n"
                + "    <deny source=\"2\" target=\"1\" permissions=\"all\"/>\n"
                + "    <transition parent=\"1\" binary=\"2\" new=\"2\"/>\n"
                + "    <external scid=\"*\" cidr=\"192.0.2.0/24\" decision=\"deny\" permissions=\"connect send\"/>\n"
                + "  </rules>\n"
                + "  <zones>\n"
                + "    <zone name=\"z3\" contexts=\"3\"/>\n"
                + "  </zones>\n");
    }

    @Test
    void everyMalformedVariantIsRejectedWithALocatedError() throws Exception {
        Map<String, String> bases = new LinkedHashMap<>();
        for (String s : SAMPLES) {
            bases.put(s, s.equals("constructs.xml") ? constructs()
                    : new String(TestSupport.sampleBytes(s), StandardCharsets.UTF_8));
        }
        // the bases themselves are valid
        DspParser parser = new DspParser();
        for (Map.Entry<String, String> b : bases.entrySet()) {
            parser.parse(b.getKey(), b.getValue().getBytes(StandardCharsets.UTF_8));
        }
        Random rnd = new Random(0xD5B002L);
        List<String> names = new ArrayList<>(bases.keySet());
        int total = 0;
        int[] perClass = new int[7];
        for (int k = 0; k < 7; k++) {
            int made = 0;
            int attempts = 0;
            while (made < PER_CLASS) {
                if (++attempts > PER_CLASS * 20) {
                    fail("mutation class " + k + " cannot produce enough variants");
                }
                String name = names.get(rnd.nextInt(names.size()));
                String base = bases.get(name);
                byte[] variant = mutate(k, base, rnd);
                if (variant == null) {
                    continue;
                }
                made++;
                expectRejected(parser, name + "#" + k + "." + made, variant);
            }
            perClass[k] = made;
            total += made;
        }
        assertTrue(total >= 1000, "only " + total + " variants");
        for (int c : perClass) {
            assertTrue(c == PER_CLASS);
        }
    }

    private static void expectRejected(DspParser parser, String label, byte[] variant) {
        try {
            parser.parse(label, variant);
        } catch (PolicyException e) {
            assertFalse(e.errors().isEmpty(), label);
            boolean located = false;
            for (PolicyError err : e.errors()) {
                located |= err.line() > 0;
                assertTrue(err.message() != null && !err.message().isBlank(), label);
            }
            assertTrue(located, label + ": no located error in " + e.errors());
            return;
        } catch (Throwable t) {
            throw new AssertionError(label + " threw " + t + " instead of PolicyException:\n"
                    + new String(variant, StandardCharsets.UTF_8), t);
        }
        fail(label + " was accepted:\n" + new String(variant, StandardCharsets.UTF_8));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Ranges of comments, where characters do not matter. */
    private static boolean inComment(String s, int pos) {
        int open = s.lastIndexOf("<!--", pos);
        if (open < 0) {
            return false;
        }
        int close = s.indexOf("-->", open);
        return close < 0 || pos < close + 3;
    }

    private static <T> T pick(List<T> l, Random rnd) {
        return l.isEmpty() ? null : l.get(rnd.nextInt(l.size()));
    }

    private static List<int[]> matches(Pattern p, String s, int group) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            if (!inComment(s, m.start())) {
                out.add(new int[] {m.start(group), m.end(group)});
            }
        }
        return out;
    }

    static byte[] mutate(int kind, String s, Random rnd) {
        switch (kind) {
            case 0 -> { // truncation anywhere before the root's end tag
                int end = s.lastIndexOf("</dsp>");
                return utf8(s.substring(0, rnd.nextInt(end)));
            }
            case 1 -> { // delete one section start/end tag, or one required attribute
                if (rnd.nextBoolean()) {
                    int[] r = pick(matches(SECTION_TAG, s, 0), rnd);
                    return r == null ? null : utf8(s.substring(0, r[0]) + s.substring(r[1]));
                }
                int[] r = pick(matches(REQUIRED_ATTR, s, 2), rnd);
                return r == null ? null : utf8(s.substring(0, r[0]) + s.substring(r[1]));
            }
            case 2 -> { // duplicate an element whose duplicate is an error, or a whole section
                if (rnd.nextInt(4) == 0) {
                    Matcher m = Pattern.compile("(?s)<(nodes|contexts|socket-labels|rules|zones)>.*?</\\1>").matcher(s);
                    List<int[]> secs = new ArrayList<>();
                    while (m.find()) {
                        secs.add(new int[] {m.start(), m.end()});
                    }
                    int[] r = pick(secs, rnd);
                    return r == null ? null : utf8(s.substring(0, r[1]) + "\n" + s.substring(r[0], r[1]) + s.substring(r[1]));
                }
                int[] r = pick(matches(SELF_CLOSING, s, 0), rnd);
                return r == null ? null : utf8(s.substring(0, r[1]) + "\n    " + s.substring(r[0], r[1]) + s.substring(r[1]));
            }
            case 3 -> { // rename an element: self-closing ones wholly, others at the start tag only
                List<int[]> tags = matches(Pattern.compile("<([a-z][a-z-]*)[\\s/>]"), s, 1);
                int[] r = pick(tags, rnd);
                if (r == null) {
                    return null;
                }
                String[] bogus = {"x", "-old", "s", "Rule"};
                return utf8(s.substring(0, r[1]) + bogus[rnd.nextInt(bogus.length)] + s.substring(r[1]));
            }
            case 4 -> { // a bad value for an attribute whose domain excludes it
                List<int[]> cands = new ArrayList<>();
                Matcher m = ATTR.matcher(s);
                while (m.find()) {
                    if (BAD.containsKey(m.group(1)) && !inComment(s, m.start())) {
                        cands.add(new int[] {m.start(2), m.end(2), m.start(1), m.end(1)});
                    }
                }
                int[] r = pick(cands, rnd);
                if (r == null) {
                    return null;
                }
                String attr = s.substring(r[2], r[3]);
                String elem = s.substring(s.lastIndexOf('<', r[2]) + 1).split("[\\s/>]", 2)[0];
                String[] bad = BAD.get(attr);
                String v = bad[rnd.nextInt(bad.length)];
                if ((attr.equals("scid") || attr.equals("snid")) && !elem.equals("context") && !elem.equals("node")
                        && v.equals("0")) {
                    return null;
                }
                if (attr.equals("scid") && elem.equals("external") && v.equals("4294967295")) {
                    v = "abc";
                }
                if (attr.equals("node") && !elem.equals("socket") || attr.equals("decision")
                        && elem.equals("default") && v.isEmpty()) {
                    return null;
                }
                return utf8(s.substring(0, r[0]) + v + s.substring(r[1]));
            }
            case 5 -> { // a byte that is never valid here: a control byte or invalid UTF-8, or broken markup
                byte[] b = utf8(s);
                if (rnd.nextBoolean()) {
                    byte[] never = {0x00, 0x01, 0x0B, 0x1F, (byte) 0xFF, (byte) 0xFE, (byte) 0x80, (byte) 0xC3};
                    int pos = rnd.nextInt(b.length);
                    b[pos] = never[rnd.nextInt(never.length)];
                    if (b[pos] == (byte) 0xC3 && pos + 1 < b.length) {
                        b[pos + 1] = '<'; // lead byte without continuation
                    }
                    return b;
                }
                List<Integer> markup = new ArrayList<>();
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if ((c == '<' || c == '>' || c == '"' || c == '=') && !inComment(s, i)) {
                        markup.add(i);
                    }
                }
                int pos = pick(markup, rnd);
                char[] repl = {'a', '\'', ' ', '&', '<', '>'};
                char c;
                do {
                    c = repl[rnd.nextInt(repl.length)];
                } while (c == s.charAt(pos));
                if (s.charAt(pos) == '>' && c == ' ' || s.charAt(pos) == '=' && c == ' ') {
                    c = 'a';
                }
                return utf8(s.substring(0, pos) + c + s.substring(pos + 1));
            }
            default -> { // entity tricks: a DOCTYPE after the declaration, or an inline trick
                if (rnd.nextBoolean()) {
                    String trick = ENTITY_TRICKS[rnd.nextInt(ENTITY_TRICKS.length)];
                    int decl = s.indexOf("?>") + 2;
                    String ref = rnd.nextBoolean() ? "&xxe;" : "&c;";
                    return utf8(s.substring(0, decl) + "\n" + trick + s.substring(decl).replaceFirst("name=\"[^\"]*\"",
                            "name=\"" + ref + "\""));
                }
                String trick = INLINE_TRICKS[rnd.nextInt(INLINE_TRICKS.length)];
                if (rnd.nextBoolean() && !trick.startsWith("<")) {
                    // inside an attribute value
                    List<int[]> vals = matches(ATTR, s, 2);
                    int[] r = pick(vals, rnd);
                    return utf8(s.substring(0, r[0]) + trick + s.substring(r[0]));
                }
                // as content of a section (element-only content) or the root
                List<int[]> starts = matches(Pattern.compile("<(dsp|nodes|contexts|socket-labels|rules|zones)(\\s[^>]*)?>"),
                        s, 0);
                int[] r = pick(starts, rnd);
                return utf8(s.substring(0, r[1]) + trick + s.substring(r[1]));
            }
        }
    }
}
