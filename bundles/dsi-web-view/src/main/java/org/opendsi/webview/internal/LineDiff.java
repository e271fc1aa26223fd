package org.opendsi.webview.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A line diff of two texts (Myers' O(ND) algorithm, shortest edit script), bounded: texts of more than
 * {@link #MAX_LINES} lines are refused, and when more than {@link #MAX_EDITS} lines differ the result
 * is "everything removed, everything added" (still a correct diff, flagged as such).
 */
final class LineDiff {

    static final int MAX_LINES = 5000;
    static final int MAX_EDITS = 2000;

    enum Kind { SAME, REMOVED, ADDED }

    /**
     * One line of the edit script.
     *
     * @param oldLine 1-based line in the old text, 0 for an added line
     * @param newLine 1-based line in the new text, 0 for a removed line
     */
    record Line(Kind kind, int oldLine, int newLine, String text) {
    }

    /** The edit script, and whether it is the coarse replace-everything fallback. */
    record Result(List<Line> lines, boolean coarse) {

        int added() {
            return (int) lines.stream().filter(l -> l.kind() == Kind.ADDED).count();
        }

        int removed() {
            return (int) lines.stream().filter(l -> l.kind() == Kind.REMOVED).count();
        }
    }

    /** A text too long to diff here. */
    static final class TooLargeException extends Exception {
        private static final long serialVersionUID = 1L;

        TooLargeException(String message) {
            super(message);
        }
    }

    private LineDiff() {
    }

    static List<String> lines(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(Arrays.asList(text.split("\r?\n", -1)));
        if (out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);   // a final newline ends the last line, it starts no new one
        }
        return out;
    }

    static Result diff(String before, String after) throws TooLargeException {
        return diff(lines(before), lines(after));
    }

    static Result diff(List<String> a, List<String> b) throws TooLargeException {
        if (a.size() > MAX_LINES || b.size() > MAX_LINES) {
            throw new TooLargeException("line diff refused: " + Math.max(a.size(), b.size()) + " lines, more than "
                    + MAX_LINES + " (the semantic changes are still listed)");
        }
        int pre = 0;
        while (pre < a.size() && pre < b.size() && a.get(pre).equals(b.get(pre))) {
            pre++;
        }
        int suf = 0;
        while (suf < a.size() - pre && suf < b.size() - pre
                && a.get(a.size() - 1 - suf).equals(b.get(b.size() - 1 - suf))) {
            suf++;
        }
        List<Line> out = new ArrayList<>(a.size() + b.size());
        for (int i = 0; i < pre; i++) {
            out.add(new Line(Kind.SAME, i + 1, i + 1, a.get(i)));
        }
        List<String> am = a.subList(pre, a.size() - suf);
        List<String> bm = b.subList(pre, b.size() - suf);
        List<Line> middle = myers(am, bm, pre);
        boolean coarse = middle == null;
        if (coarse) {
            middle = new ArrayList<>();
            for (int i = 0; i < am.size(); i++) {
                middle.add(new Line(Kind.REMOVED, pre + i + 1, 0, am.get(i)));
            }
            for (int j = 0; j < bm.size(); j++) {
                middle.add(new Line(Kind.ADDED, 0, pre + j + 1, bm.get(j)));
            }
        }
        out.addAll(middle);
        for (int i = 0; i < suf; i++) {
            int ai = a.size() - suf + i;
            int bi = b.size() - suf + i;
            out.add(new Line(Kind.SAME, ai + 1, bi + 1, a.get(ai)));
        }
        return new Result(List.copyOf(out), coarse);
    }

    /** The shortest edit script of a to b (line numbers shifted by offset), or null above MAX_EDITS. */
    private static List<Line> myers(List<String> a, List<String> b, int offset) {
        int n = a.size();
        int m = b.size();
        int max = n + m;
        if (max == 0) {
            return new ArrayList<>();
        }
        int[] v = new int[2 * max + 3];
        int o = max + 1;
        List<int[]> trace = new ArrayList<>();   // trace.get(d)[k + d] = furthest x on diagonal k after step d
        int found = -1;
        for (int d = 0; d <= Math.min(max, MAX_EDITS) && found < 0; d++) {
            for (int k = -d; k <= d; k += 2) {
                int x = k == -d || (k != d && v[o + k - 1] < v[o + k + 1]) ? v[o + k + 1] : v[o + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && a.get(x).equals(b.get(y))) {
                    x++;
                    y++;
                }
                v[o + k] = x;
                if (x >= n && y >= m) {
                    found = d;
                }
            }
            trace.add(Arrays.copyOfRange(v, o - d, o + d + 1));
        }
        if (found < 0) {
            return null;
        }
        List<Line> rev = new ArrayList<>();
        int x = n;
        int y = m;
        for (int d = found; d > 0; d--) {
            int[] prev = trace.get(d - 1);
            int k = x - y;
            boolean down = k == -d || (k != d && at(prev, d - 1, k - 1) < at(prev, d - 1, k + 1));
            int prevK = down ? k + 1 : k - 1;
            int prevX = at(prev, d - 1, prevK);
            int prevY = prevX - prevK;
            while (x > prevX && y > prevY) {
                rev.add(new Line(Kind.SAME, offset + x, offset + y, a.get(x - 1)));
                x--;
                y--;
            }
            if (down) {
                rev.add(new Line(Kind.ADDED, 0, offset + y, b.get(y - 1)));
                y--;
            } else {
                rev.add(new Line(Kind.REMOVED, offset + x, 0, a.get(x - 1)));
                x--;
            }
        }
        while (x > 0 && y > 0) {
            rev.add(new Line(Kind.SAME, offset + x, offset + y, a.get(x - 1)));
            x--;
            y--;
        }
        Collections.reverse(rev);
        return rev;
    }

    private static int at(int[] slice, int d, int k) {
        return slice[k + d];
    }
}
