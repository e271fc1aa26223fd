package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.opendsi.api.policy.PolicyChange;

class DigestDiffTest {

    private static String sampleText(String name) throws Exception {
        return new String(TestSupport.sampleBytes(name), StandardCharsets.UTF_8);
    }

    @Test
    void digestIgnoresWhitespaceCommentsAttributeAndElementOrder() throws Exception {
        String original = sampleText("virtual-zones.xml");
        CompiledPolicy a = TestSupport.compile(original);
        assertTrue(a.digest().matches("[0-9a-f]{64}"));
        // reformat: strip comments, collapse whitespace, reverse attribute order, shuffle rule lines
        String noComments = original.replaceAll("(?s)<!--.*?-->", "");
        List<String> lines = new ArrayList<>(List.of(noComments.split("\n")));
        int from = indexOf(lines, "<rules>") + 1;
        int to = indexOf(lines, "</rules>");
        List<String> rules = new ArrayList<>(lines.subList(from, to));
        Collections.shuffle(rules, new Random(7));
        for (int i = 0; i < rules.size(); i++) {
            lines.set(from + i, rules.get(i));
        }
        String reformatted = reverseAttributes(String.join("\n", lines)).replaceAll("\\s+", " ").replace("permissions=\"create bind"
                + " connect send receive\"", "permissions=\"receive send connect bind create\"");
        CompiledPolicy b = TestSupport.compile(reformatted);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.canonicalForm(), b.canonicalForm());
        // ...while rule ids follow the new order, the decisions do not change
        assertEquals(SamplesTest.withoutRuleIds(a.table()), SamplesTest.withoutRuleIds(b.table()));
        // and any change of content changes the digest
        CompiledPolicy c = TestSupport.compile(original.replace("port=\"9001\"", "port=\"9002\""));
        assertNotEquals(a.digest(), c.digest());
        CompiledPolicy d = TestSupport.compile(original.replace("name=\"shell\"", "name=\"login\""));
        assertNotEquals(a.digest(), d.digest());
        assertTrue(a.canonicalForm().startsWith(PolicyCanonicalizer.HEADER + "\n"));
    }

    @Test
    void permissionSpellingsShareADigest() throws Exception {
        String body = TestSupport.DECLS + "  <rules><allow source=\"1\" target=\"2\" permissions=\"%s\"/></rules>\n";
        String x = TestSupport.compile(TestSupport.dsp(String.format(body, "all"))).digest();
        String y = TestSupport.compile(TestSupport.dsp(String.format(body,
                "transition receive send connect bind create"))).digest();
        assertEquals(x, y);
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals(text)) {
                return i;
            }
        }
        throw new AssertionError(text);
    }

    /** Reverses the attribute order inside every self-closing start tag. */
    private static String reverseAttributes(String xml) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<([a-z-]+)((?:\\s+[a-z-]+=\"[^\"]*\")+)\\s*/>")
                .matcher(xml);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            java.util.regex.Matcher am = java.util.regex.Pattern.compile("[a-z-]+=\"[^\"]*\"").matcher(m.group(2));
            List<String> attrs = new ArrayList<>();
            while (am.find()) {
                attrs.add(am.group());
            }
            Collections.reverse(attrs);
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement("<" + m.group(1) + "   "
                    + String.join("\n\t ", attrs) + " />"));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    @Test
    void diffBetweenPermissiveAndZones() throws Exception {
        CompiledPolicy permissive = TestSupport.compileSample("permissive.xml");
        CompiledPolicy zones = TestSupport.compileSample("virtual-zones.xml");
        List<PolicyChange> changes = PolicyDiffer.diff(permissive, zones);
        assertTrue(changes.contains(new PolicyChange(PolicyChange.Kind.CHANGED, "default", "decision",
                "allow create bind connect send receive transition raw", "allow none")), changes.toString());
        assertTrue(changes.contains(new PolicyChange(PolicyChange.Kind.ADDED, "access", "10@*->20", "",
                "allow none")), changes.toString());
        assertTrue(changes.contains(new PolicyChange(PolicyChange.Kind.CHANGED, "access", "2@*->10",
                "allow create bind connect send receive transition raw", "allow transition")), changes.toString());
        assertTrue(changes.stream().noneMatch(c -> c.table().equals("socket-label")), "labels are equal");
        // reverse direction: REMOVED
        assertTrue(PolicyDiffer.diff(zones, permissive).contains(new PolicyChange(PolicyChange.Kind.REMOVED,
                "access", "10@*->20", "allow none", "")));
        // identical decisions -> no change, even between long and zone form
        assertEquals(List.of(), PolicyDiffer.diff(zones, TestSupport.compileSample("virtual-zones-zoned.xml")));
        // from nothing: everything is added
        List<PolicyChange> fresh = PolicyDiffer.diff(null, zones);
        assertTrue(fresh.stream().allMatch(c -> c.kind() == PolicyChange.Kind.ADDED));
        assertEquals(2 + 4 + 2 + zones.table().access().size() + 4 + 2, fresh.size());
        // keys for labels, transitions, nodes, net
        CompiledPolicy edited = TestSupport.compile(new String(TestSupport.sampleBytes("virtual-zones.xml"),
                StandardCharsets.UTF_8).replace("port=\"9001\" scid=\"20\"", "port=\"9001\" scid=\"10\"")
                .replace("address=\"10.77.0.2\"", "address=\"10.77.0.3\"")
                .replace("<transition parent=\"2\" binary=\"20\" new=\"20\"/>", "")
                .replace("</rules>", "<external scid=\"10\" cidr=\"192.0.2.0/24\" decision=\"deny\"/></rules>"));
        List<PolicyChange> d = PolicyDiffer.diff(zones, edited);
        assertTrue(d.contains(new PolicyChange(PolicyChange.Kind.CHANGED, "socket-label", "udp/9001@*", "scid 20",
                "scid 10")), d.toString());
        assertTrue(d.contains(new PolicyChange(PolicyChange.Kind.CHANGED, "node", "2", "10.77.0.2", "10.77.0.3")));
        assertTrue(d.contains(new PolicyChange(PolicyChange.Kind.REMOVED, "transition", "2+20", "-> 20", "")));
        assertTrue(d.contains(new PolicyChange(PolicyChange.Kind.ADDED, "net", "10 192.0.2.0/24", "",
                "deny connect send")));
    }
}
