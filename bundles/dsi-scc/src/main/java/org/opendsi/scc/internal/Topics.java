package org.opendsi.scc.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.opendsi.scc.SccSubscription;

/** Topic patterns: exact, prefix ending in '*', or '*' alone. A small copy-on-write registry. */
final class Topics<H> {
    record Entry<H>(String pattern, H handler) {
    }

    private final List<Entry<H>> entries = new CopyOnWriteArrayList<>();

    static boolean matches(String pattern, String topic) {
        if (pattern.endsWith("*")) {
            return topic.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(topic);
    }

    static void checkPattern(String pattern) {
        if (pattern == null || pattern.isEmpty() || pattern.indexOf('*') >= 0 && pattern.indexOf('*') != pattern.length() - 1) {
            throw new IllegalArgumentException("topic pattern must be a topic, a prefix ending in '*' or '*': " + pattern);
        }
    }

    SccSubscription add(String pattern, H handler, Runnable onRemove) {
        checkPattern(pattern);
        Entry<H> e = new Entry<>(pattern, handler);
        entries.add(e);
        return () -> {
            if (entries.remove(e) && onRemove != null) {
                onRemove.run();
            }
        };
    }

    List<Entry<H>> entries() {
        return entries;
    }

    boolean hasPattern(String pattern) {
        return entries.stream().anyMatch(e -> e.pattern().equals(pattern));
    }

    H first(String topic) {
        for (Entry<H> e : entries) {
            if (matches(e.pattern(), topic)) {
                return e.handler();
            }
        }
        return null;
    }
}
