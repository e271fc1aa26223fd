package org.opendsi.webview.internal;

import java.time.Instant;
import java.util.Collection;

/**
 * A small streaming JSON writer: objects, arrays, strings (escaped for JSON and safe inside HTML),
 * numbers, booleans and null. Commas are placed automatically. Not thread-safe; one per document.
 */
final class Json {

    private final StringBuilder out = new StringBuilder(256);
    /** Per nesting level: whether the next value needs a comma before it. */
    private boolean[] comma = new boolean[16];
    private int depth;
    private boolean afterName;

    Json beginObject() {
        value();
        out.append('{');
        push();
        return this;
    }

    Json endObject() {
        depth--;
        out.append('}');
        return this;
    }

    Json beginArray() {
        value();
        out.append('[');
        push();
        return this;
    }

    Json endArray() {
        depth--;
        out.append(']');
        return this;
    }

    Json name(String name) {
        value();
        string(name);
        out.append(':');
        afterName = true;
        return this;
    }

    Json value(String s) {
        value();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        return this;
    }

    Json value(long n) {
        value();
        out.append(n);
        return this;
    }

    Json value(boolean b) {
        value();
        out.append(b);
        return this;
    }

    Json value(Instant t) {
        return value(t == null ? null : t.toString());
    }

    /** Inserts an already serialised JSON value as is. */
    Json raw(String json) {
        value();
        out.append(json);
        return this;
    }

    Json field(String name, String v) {
        return name(name).value(v);
    }

    Json field(String name, long v) {
        return name(name).value(v);
    }

    Json field(String name, boolean v) {
        return name(name).value(v);
    }

    Json field(String name, Instant v) {
        return name(name).value(v);
    }

    Json field(String name, Collection<? extends Number> numbers) {
        name(name).beginArray();
        for (Number n : numbers) {
            value(n.longValue());
        }
        return endArray();
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void push() {
        depth++;
        if (depth >= comma.length) {
            comma = java.util.Arrays.copyOf(comma, comma.length * 2);
        }
        comma[depth] = false;
    }

    private void value() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (comma[depth]) {
            out.append(',');
        }
        comma[depth] = true;
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                // never a literal '<', '>' or '&' (the text may end up near HTML), nor line separators
                case '<', '>', '&', '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** s as a JSON string literal. */
    static String quote(String s) {
        return new Json().value(s).toString();
    }
}
