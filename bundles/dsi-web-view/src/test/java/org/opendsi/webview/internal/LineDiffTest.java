package org.opendsi.webview.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class LineDiffTest {

    private static String render(LineDiff.Result r) {
        StringBuilder sb = new StringBuilder();
        for (LineDiff.Line l : r.lines()) {
            sb.append(switch (l.kind()) {
                case SAME -> ' ';
                case ADDED -> '+';
                case REMOVED -> '-';
            }).append(l.text()).append('\n');
        }
        return sb.toString();
    }

    /** The script applied both ways gives back both texts, with consistent line numbers. */
    private static void assertConsistent(List<String> a, List<String> b, LineDiff.Result r) {
        List<String> olds = new ArrayList<>();
        List<String> news = new ArrayList<>();
        for (LineDiff.Line l : r.lines()) {
            if (l.kind() != LineDiff.Kind.ADDED) {
                olds.add(l.text());
                assertEquals(olds.size(), l.oldLine());
            }
            if (l.kind() != LineDiff.Kind.REMOVED) {
                news.add(l.text());
                assertEquals(news.size(), l.newLine());
            }
        }
        assertEquals(a, olds);
        assertEquals(b, news);
    }

    @Test
    void minimalEditScript() throws Exception {
        LineDiff.Result r = LineDiff.diff("a\nb\nc\nd\n", "a\nc\nd\ne\n");
        assertEquals(" a\n-b\n c\n d\n+e\n", render(r));
        assertEquals(1, r.added());
        assertEquals(1, r.removed());
        assertFalse(r.coarse());
    }

    @Test
    void changedLineIsRemovedThenAdded() throws Exception {
        LineDiff.Result r = LineDiff.diff(
                "<dsp>\n  <context scid=\"10\" name=\"phonemania\"/>\n</dsp>\n",
                "<dsp>\n  <context scid=\"10\" name=\"phone\"/>\n</dsp>\n");
        assertEquals(" <dsp>\n-  <context scid=\"10\" name=\"phonemania\"/>\n+  <context scid=\"10\" name=\"phone\"/>\n </dsp>\n",
                render(r));
    }

    @Test
    void emptyAndIdenticalTexts() throws Exception {
        assertEquals("+x\n", render(LineDiff.diff("", "x")));
        assertEquals("-x\n", render(LineDiff.diff("x\n", "")));
        assertEquals(" x\n y\n", render(LineDiff.diff("x\r\ny\r\n", "x\ny")));
        assertTrue(LineDiff.diff("", "").lines().isEmpty());
    }

    @Test
    void randomEditsStayConsistentAndShort() throws Exception {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<String> a = new ArrayList<>();
            int n = rnd.nextInt(60);
            for (int i = 0; i < n; i++) {
                a.add("l" + rnd.nextInt(8));
            }
            List<String> b = new ArrayList<>(a);
            int edits = rnd.nextInt(6);
            for (int e = 0; e < edits; e++) {
                if (!b.isEmpty() && rnd.nextBoolean()) {
                    b.remove(rnd.nextInt(b.size()));
                } else {
                    b.add(rnd.nextInt(b.size() + 1), "new" + e);
                }
            }
            LineDiff.Result r = LineDiff.diff(a, b);
            assertConsistent(a, b, r);
            assertTrue(r.added() + r.removed() <= edits, "shortest script: at most the edits made");
        }
    }

    @Test
    void refusesTextsAboveTheLimit() {
        List<String> big = new ArrayList<>();
        for (int i = 0; i <= LineDiff.MAX_LINES; i++) {
            big.add("line " + i);
        }
        LineDiff.TooLargeException e = assertThrows(LineDiff.TooLargeException.class, () -> LineDiff.diff(big, List.of("x")));
        assertTrue(e.getMessage().contains("5001 lines"), e.getMessage());
    }

    @Test
    void tooManyDifferencesFallBackToAFullReplacement() throws Exception {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            a.add("a" + i);
            b.add("b" + i);
        }
        a.add(0, "same");
        b.add(0, "same");
        LineDiff.Result r = LineDiff.diff(a, b);
        assertTrue(r.coarse());
        assertEquals(2500, r.added());
        assertEquals(2500, r.removed());
        assertConsistent(a, b, r);
    }
}
