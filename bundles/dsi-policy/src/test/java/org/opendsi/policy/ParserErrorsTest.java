package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opendsi.policy.TestSupport.DECLS;
import static org.opendsi.policy.TestSupport.assertError;
import static org.opendsi.policy.TestSupport.dsp;
import static org.opendsi.policy.TestSupport.errors;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.api.policy.PolicyError;

/** Every error class of the parser, each located by line and column. */
class ParserErrorsTest {

    @Test
    void malformedXmlIsLocated() {
        List<PolicyError> e = errors(dsp("  <contexts>\n    <context scid=\"1\" name=\"a\">\n  </contexts>\n"));
        assertError(e, 5, 12, "end-tag for element type \"context\"");
    }

    @Test
    void doctypeIsRejectedAtItsLine() {
        String xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE dsp>\n<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"x\"/>\n";
        assertError(errors(xml), 2, 0, "DOCTYPE is not allowed");
    }

    @Test
    void billionLaughsIsRejectedWithoutExpansion() {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE dsp [\n <!ENTITY lol \"lol\">\n");
        for (int i = 1; i <= 9; i++) {
            sb.append(" <!ENTITY lol").append(i).append(" \"");
            for (int k = 0; k < 10; k++) {
                sb.append("&lol").append(i == 1 ? "" : Integer.toString(i - 1)).append(';');
            }
            sb.append("\">\n");
        }
        sb.append("]>\n<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"&lol9;\"/>\n");
        long t0 = System.nanoTime();
        List<PolicyError> e = errors(sb.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, e.size(), e.toString());
        assertError(e, 2, 0, "DOCTYPE is not allowed");
        assertFalse(e.get(0).message().contains("lollol"), "nothing was expanded: " + e);
        assertTrue(ms < 2000, "rejected quickly, took " + ms + " ms");
    }

    @Test
    void externalEntityFileReadIsRejected() {
        String xml = "<?xml version=\"1.0\"?>\n"
                + "<!DOCTYPE dsp [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
                + "<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"&xxe;\"/>\n";
        List<PolicyError> e = errors(xml);
        assertError(e, 2, 0, "DOCTYPE is not allowed");
        for (PolicyError err : e) {
            assertFalse(err.message().contains("root:"), "file content leaked: " + err);
        }
        String param = "<?xml version=\"1.0\"?>\n<!DOCTYPE dsp SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n"
                + "<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"x\"/>\n";
        assertError(errors(param), 2, 0, "DOCTYPE is not allowed");
    }

    @Test
    void undeclaredEntityReferenceIsAnError() {
        assertError(errors(dsp("  <contexts><context scid=\"1\" name=\"&foo;\"/></contexts>\n")), 3, 0, "foo");
    }

    @Test
    void sizeLimitIsEnforcedAndLocated() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            body.append("  <!-- padding padding padding padding padding -->\n");
        }
        byte[] xml = dsp(body.toString()).getBytes(StandardCharsets.UTF_8);
        DspParser small = new DspParser(DspLimits.defaults().withMaxBytes(1000));
        List<PolicyError> e = errors(small, xml);
        assertTrue(e.get(0).message().contains("exceeds the limit of 1000 bytes"), e.toString());
        assertTrue(e.get(0).line() > 1, e.toString());
    }

    @Test
    void depthAndAttributeLimits() {
        String deep = dsp("  <rules>" + "<a>".repeat(20) + "</a>".repeat(20) + "</rules>\n");
        assertError(errors(deep), 3, 0, "nesting deeper than 16");
        StringBuilder attrs = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            attrs.append(" a").append(i).append("=\"1\"");
        }
        assertError(errors(dsp("  <contexts>\n    <context" + attrs + "/>\n  </contexts>\n")), 4, 0,
                "has 20 attributes; at most 16");
    }

    @Test
    void invalidUtf8AndForeignEncoding() {
        byte[] xml = dsp("  <contexts>\n    <context scid=\"1\" name=\"XX\"/>\n  </contexts>\n")
                .getBytes(StandardCharsets.UTF_8);
        String s = new String(xml, StandardCharsets.UTF_8);
        int at = s.indexOf("XX");
        xml[at] = (byte) 0xFF;
        List<PolicyError> e = errors(new DspParser(), xml);
        assertError(e, 4, 29, "invalid UTF-8");
        String latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"x\"/>\n";
        assertError(errors(latin), 1, 0, "expected UTF-8");
    }

    @Test
    void schemaViolationsNameWhatWasExpected() {
        List<PolicyError> e = errors(dsp(DECLS
                + "  <rules>\n"
                + "    <allow source=\"1\" target=\"2\"/>\n"                      // 12: missing permissions
                + "    <permit source=\"1\" target=\"2\" permissions=\"send\"/>\n"  // 13: unknown element
                + "    <deny source=\"1\" target=\"2\" permissions=\"send\" colour=\"red\"/>\n" // 14
                + "  </rules>\n"
                + "  <default decision=\"maybe\"/>\n"));                         // 16
        assertError(e, 13, 35, "permissions");
        assertError(e, 14, 0, "permit");
        assertError(e, 15, 0, "colour");
        assertError(e, 17, 0, "maybe");
        String wrongNs = "<dsp xmlns=\"urn:other\" name=\"x\"/>\n";
        assertError(errors(wrongNs), 1, 0, "dsp");
        assertError(errors(dsp("") + dsp("")), 4, 6, "processing instruction");
    }

    @Test
    void aSnIdTheKernelLabelCannotCarryIsRefusedWhereItIsDeclared() {
        String xml = dsp(""
                + "  <nodes>\n"
                + "    <node snid=\"65534\" name=\"last\" address=\"10.0.0.1\"/>\n"      // 4: the largest
                + "    <node snid=\"70000\" name=\"big\" address=\"10.0.0.2\"/>\n"       // 5
                + "  </nodes>\n");
        List<PolicyError> e = errors(xml);
        assertError(e, 5, 0, "SnID 70000 cannot be declared: the kernel DSM's label carries 16-bit SnIDs; expected a SnID in 1..65534");
        assertEquals(1, e.size(), e.toString());
    }

    @Test
    void semanticErrorsAreAllCollectedAndLocated() {
        String xml = dsp(""
                + "  <nodes>\n"
                + "    <node snid=\"1\" name=\"n1\" address=\"10.0.0.1\"/>\n"           // 3
                + "    <node snid=\"1\" name=\"n2\" address=\"10.0.0.2\"/>\n"           // 4 dup snid
                + "    <node snid=\"3\" name=\"n1\" address=\"10.0.0.1\"/>\n"           // 5 dup name + address
                + "    <node snid=\"4\" name=\"n4\" address=\"10.0.0.300\"/>\n"         // 6 bad address
                + "    <node snid=\"0\" name=\"n0\" address=\"10.0.0.9\"/>\n"           // 7 snid 0
                + "  </nodes>\n"
                + "  <contexts>\n"
                + "    <context scid=\"1\" name=\"a\"/>\n"                             // 10
                + "    <context scid=\"1\" name=\"b\"/>\n"                             // 11 dup scid
                + "    <context scid=\"2\" name=\"a\"/>\n"                             // 12 dup name
                + "    <context scid=\"0\" name=\"z\"/>\n"                             // 13 scid 0
                + "    <context scid=\"4294967295\" name=\"big\"/>\n"                  // 14 out of range
                + "  </contexts>\n"
                + "  <socket-labels>\n"
                + "    <socket protocol=\"udp\" port=\"80\" scid=\"1\"/>\n"            // 17
                + "    <socket protocol=\"udp\" port=\"80\" scid=\"2\"/>\n"            // 18 dup label
                + "    <socket protocol=\"tcp\" port=\"70000\" scid=\"1\"/>\n"         // 19 port range
                + "    <socket protocol=\"tcp\" port=\"81\" scid=\"9\"/>\n"            // 20 undefined scid
                + "    <socket protocol=\"tcp\" port=\"82\" scid=\"1\" node=\"7\"/>\n" // 21 undefined snid
                + "  </socket-labels>\n"
                + "  <rules>\n"
                + "    <allow source=\"1\" target=\"8\" permissions=\"send\"/>\n"       // 24 undefined target
                + "    <allow source=\"1\" target=\"2\" permissions=\"send fly\"/>\n"   // 25 unknown permission
                + "    <allow source=\"1\" target=\"2\" permissions=\"send\" source-nodes=\"1 9\"/>\n" // 26
                + "    <transition parent=\"1\" binary=\"2\" new=\"5\"/>\n"            // 27 unknown new
                + "    <transition parent=\"1\" binary=\"2\" new=\"2\"/>\n"            // 28 ok
                + "    <transition parent=\"1\" binary=\"2\" new=\"1\"/>\n"            // 29 dup (parent, binary)
                + "    <external scid=\"*\" cidr=\"192.0.2.1/24\" decision=\"deny\"/>\n"   // 30 host bits
                + "    <external scid=\"1\" cidr=\"192.0.2.0/33\" decision=\"deny\"/>\n"   // 31 len
                + "    <external scid=\"1\" cidr=\"10.0.0.0/8\" decision=\"deny\" permissions=\"receive\"/>\n" // 32
                + "    <allow id=\"40\" source=\"1\" target=\"1\" permissions=\"all\"/>\n" // 33
                + "    <deny id=\"40\" source=\"2\" target=\"2\" permissions=\"all\"/>\n"  // 34 dup id
                + "  </rules>\n"
                + "  <zones>\n"
                + "    <zone name=\"z\" contexts=\"1\"/>\n"                            // 37
                + "    <zone name=\"z\" contexts=\"2\"/>\n"                            // 38 dup zone name
                + "    <admin-zone name=\"adm\" contexts=\"1\"/>\n"                    // 39 already member
                + "  </zones>\n");
        List<PolicyError> e = errors(xml);
        assertError(e, 5, 0, "duplicate node SnID 1 (first declared at 4:");
        assertError(e, 6, 0, "duplicate node name 'n1'");
        assertError(e, 6, 0, "duplicate node address 10.0.0.1");
        assertError(e, 7, 0, "octet 300 > 255");
        assertError(e, 8, 0, "SnID 0 is reserved");
        assertError(e, 12, 0, "duplicate context ScID 1");
        assertError(e, 13, 0, "duplicate context name 'a'");
        assertError(e, 14, 0, "ScID 0 is the implicit unlabeled context");
        assertError(e, 15, 0, "out of range; expected 0..4294967294");
        assertError(e, 19, 0, "duplicate socket label udp/80 on every node");
        assertError(e, 20, 0, "port 70000 is out of range; expected 1..65535");
        assertError(e, 21, 0, "undefined ScID 9");
        assertError(e, 22, 0, "undefined SnID 7");
        assertError(e, 25, 0, "undefined ScID 8");
        assertError(e, 26, 0, "unknown permission 'fly'; expected 'all' or any of create bind connect send receive"
                + " transition");
        assertError(e, 27, 0, "undefined SnID 9");
        assertError(e, 28, 0, "attribute new: undefined ScID 5");
        assertError(e, 30, 0, "duplicate transition for parent 1 and binary 2");
        assertError(e, 31, 0, "host bits set (did you mean 192.0.2.0/24?)");
        assertError(e, 32, 0, "prefix length 33 > 32");
        assertError(e, 33, 0, "'receive' is not allowed here; expected any of connect send");
        assertError(e, 35, 0, "duplicate rule id 40 (first used at 34:");
        assertError(e, 39, 0, "duplicate zone name 'z'");
        assertError(e, 40, 0, "already a member of the zone at 38:");
        // errors come sorted by position
        for (int i = 1; i < e.size(); i++) {
            assertTrue(e.get(i - 1).line() <= e.get(i).line(), e.toString());
        }
        assertTrue(e.get(0).toString().startsWith("test.xml:5:50: "), e.get(0).toString());
    }

    @Test
    void errorCountIsBounded() {
        StringBuilder body = new StringBuilder("  <rules>\n");
        for (int i = 0; i < 1000; i++) {
            body.append("    <allow source=\"1\" target=\"99\" permissions=\"send\"/>\n");
        }
        body.append("  </rules>\n");
        List<PolicyError> e = errors(dsp(DECLS + body));
        assertEquals(201, e.size());
        assertTrue(e.get(e.size() - 1).message().contains("too many errors"), e.get(e.size() - 1).toString());
    }
}
