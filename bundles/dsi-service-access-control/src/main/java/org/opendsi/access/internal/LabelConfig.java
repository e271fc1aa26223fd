package org.opendsi.access.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.opendsi.api.SecurityIds;

/**
 * Binary labels (SetSID) kept in step by the access control service: {@code path = scid} lines in
 * the {@code labels.file}, and/or {@code path = scid} entries separated by commas or new lines in
 * the inline {@code labels} property. {@code #} starts a comment; a later entry for a path wins.
 */
final class LabelConfig {

    private LabelConfig() {
    }

    static Map<Path, Integer> parse(String text, String origin) {
        Map<Path, Integer> out = new LinkedHashMap<>();
        if (text == null) {
            return out;
        }
        int lineNo = 0;
        for (String line : text.split("\\R|,")) {
            lineNo++;
            int hash = line.indexOf('#');
            String l = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (l.isEmpty()) {
                continue;
            }
            int eq = l.lastIndexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(origin + ":" + lineNo + ": expected 'path = scid', got '" + l + "'");
            }
            String path = l.substring(0, eq).trim();
            int scid;
            try {
                scid = SecurityIds.parse("ScID", l.substring(eq + 1).trim());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(origin + ":" + lineNo + ": " + e.getMessage());
            }
            Path p = Paths.get(path);
            if (!p.isAbsolute()) {
                throw new IllegalArgumentException(origin + ":" + lineNo + ": path must be absolute: " + path);
            }
            out.put(p.normalize(), scid);
        }
        return out;
    }

    static Map<Path, Integer> read(Path file) throws IOException {
        if (file == null || !Files.exists(file)) {
            return new LinkedHashMap<>();
        }
        return parse(String.join("\n", Files.readAllLines(file, StandardCharsets.UTF_8)), file.toString());
    }

    /** Inline entries first, then the file's (the file wins for a path named in both). */
    static Map<Path, Integer> merge(List<Map<Path, Integer>> parts) {
        Map<Path, Integer> out = new LinkedHashMap<>();
        parts.forEach(out::putAll);
        return out;
    }
}
