package org.opendsi.audit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.dsm.DsmEvent;

class Syslog5424Test {

    private static final Pattern RFC5424 = Pattern.compile(
            "<(\\d{1,3})>1 (\\S+) (\\S+) (\\S+) (\\S+) (\\S+) (\\[.*?(?<!\\\\)\\]|-) (.*)", Pattern.DOTALL);

    @Test
    void messageHasTheRfc5424Shape() {
        AuditRecord r = EventMapper.withText(Fixtures.record(Fixtures.deny(8080)), "text with ] and \"quotes\"");
        String m = Syslog5424.message(r, "colby", "123");
        Matcher x = RFC5424.matcher(m);
        assertTrue(x.matches(), m);
        assertEquals(13 * 8 + 4, Integer.parseInt(x.group(1)));
        assertTrue(x.group(2).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), x.group(2));
        assertEquals("colby", x.group(3));
        assertEquals("dsi", x.group(4));
        assertEquals("123", x.group(5));
        assertEquals("DENY", x.group(6));
        String sd = x.group(7);
        assertTrue(sd.startsWith("[dsi@32473 "), sd);
        assertTrue(sd.contains(" scid=\"10\" snid=\"1\" tscid=\"20\" tsnid=\"2\" perm=\"receive\" rule=\"3\" ruleLine=\"12\""), sd);
        assertTrue(sd.contains(" src=\"10.0.0.1:40000\" dst=\"10.0.0.2:8080\""), sd);
        assertEquals("text with ] and \"quotes\"", x.group(8));
    }

    @Test
    void paramValuesAreEscaped() {
        AuditRecord r = Fixtures.record(new DsmEvent(1_000_000_000L, 1, 1, 1, 1, 1, 2, 2, 3, 5, 0, 0, 0, 0, 0, 0,
                "a\"b]c\\d", ""));
        String m = Syslog5424.message(r, "host name", "");
        assertTrue(m.contains("comm=\"a\\\"b\\]c\\\\d\""), m);
        assertTrue(m.contains(" host_name dsi - DENY "), m);
        assertTrue(m.startsWith("<108>1 1970-01-01T00:00:01.000000Z "), m);
    }

    @Test
    void octetCountingFrameCountsBytesNotChars() {
        byte[] f = Syslog5424.frame("é");
        assertEquals("2 é", new String(f, StandardCharsets.UTF_8));
    }
}
