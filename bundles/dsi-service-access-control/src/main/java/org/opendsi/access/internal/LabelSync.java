package org.opendsi.access.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.opendsi.dsm.Dsm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the configured binary labels with {@link Dsm#labelBinary}: every entry at activation (which
 * also re-establishes libdsm's exec watch after a restart), new or changed entries on a change, and
 * label 0 for entries that were removed from the configuration. Thread-safe.
 */
final class LabelSync {

    private static final Logger LOG = LoggerFactory.getLogger(LabelSync.class);

    /** Told of every label that really changed on disk (old and new ScID, 0 = none). */
    interface Changes {
        void changed(Path binary, int before, int after);
    }

    private Map<Path, Integer> applied = new LinkedHashMap<>();

    /**
     * @param all true to label every entry again (activation, DSM re-attach), false for the difference
     * @return one line per problem (empty when all went through)
     */
    synchronized List<String> sync(Dsm dsm, Map<Path, Integer> wanted, boolean all) {
        return sync(dsm, wanted, all, (b, x, y) -> { });
    }

    synchronized List<String> sync(Dsm dsm, Map<Path, Integer> wanted, boolean all, Changes changes) {
        List<String> problems = new ArrayList<>();
        Map<Path, Integer> now = new LinkedHashMap<>();
        for (Map.Entry<Path, Integer> e : wanted.entrySet()) {
            Integer before = applied.get(e.getKey());
            if (all || before == null || !before.equals(e.getValue())) {
                try {
                    int old = dsm.labelBinary(e.getKey(), e.getValue());
                    LOG.info("binary {} labeled {}", e.getKey(), Integer.toUnsignedString(e.getValue()));
                    if (old != e.getValue()) {
                        changes.changed(e.getKey(), old, e.getValue());
                    }
                } catch (RuntimeException ex) {
                    problems.add(e.getKey() + ": " + ex.getMessage());
                    continue;
                }
            }
            now.put(e.getKey(), e.getValue());
        }
        for (Path gone : applied.keySet()) {
            if (!wanted.containsKey(gone)) {
                try {
                    int old = dsm.labelBinary(gone, 0);
                    LOG.info("binary {} no longer labeled (removed from the configuration)", gone);
                    if (old != 0) {
                        changes.changed(gone, old, 0);
                    }
                } catch (RuntimeException ex) {
                    problems.add(gone + ": " + ex.getMessage());
                }
            }
        }
        applied = now;
        problems.forEach(p -> LOG.warn("binary label not applied: {}", p));
        return problems;
    }

    synchronized Map<Path, Integer> applied() {
        return new LinkedHashMap<>(applied);
    }
}
