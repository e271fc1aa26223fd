package org.opendsi.access.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelsTest {

    @Test
    void parsesLinesCommasAndComments() {
        Map<Path, Integer> m = LabelConfig.parse("# zones\n/opt/pm/ep = 10\n/opt/rb/ep=20, /opt/x = 30 # comment\n\n", "t");
        assertEquals(Map.of(Path.of("/opt/pm/ep"), 10, Path.of("/opt/rb/ep"), 20, Path.of("/opt/x"), 30), m);
        assertThrows(IllegalArgumentException.class, () -> LabelConfig.parse("relative/path = 3", "t"));
        assertThrows(IllegalArgumentException.class, () -> LabelConfig.parse("/a/b", "t"));
    }

    @Test
    void syncLabelsNewChangedAndRemovesDropped() {
        FakeDsm fake = new FakeDsm();
        LabelSync sync = new LabelSync();
        sync.sync(fake.dsm(), Map.of(Path.of("/a"), 10), true);
        assertEquals(List.of("labelBinary /a 10"), fake.calls);
        fake.calls.clear();
        Map<Path, Integer> next = new HashMap<>(Map.of(Path.of("/a"), 10, Path.of("/b"), 20));
        sync.sync(fake.dsm(), next, false);
        assertEquals(List.of("labelBinary /b 20"), fake.calls);
        fake.calls.clear();
        sync.sync(fake.dsm(), Map.of(Path.of("/b"), 21), false);
        assertTrue(fake.calls.containsAll(List.of("labelBinary /b 21", "labelBinary /a 0")), fake.calls.toString());
        assertEquals(Map.of(Path.of("/b"), 21), fake.labels);
    }

    @Test
    void onlyRealChangesAreReported() {
        FakeDsm fake = new FakeDsm();
        LabelSync sync = new LabelSync();
        List<String> changes = new java.util.ArrayList<>();
        LabelSync.Changes c = (b, before, after) -> changes.add(b + " " + before + "->" + after);
        sync.sync(fake.dsm(), Map.of(Path.of("/a"), 10), true, c);
        sync.sync(fake.dsm(), Map.of(Path.of("/a"), 10), true, c);   // relabeled at activation: same label
        sync.sync(fake.dsm(), Map.of(Path.of("/a"), 11, Path.of("/b"), 20), false, c);
        sync.sync(fake.dsm(), Map.of(Path.of("/b"), 20), false, c);
        assertEquals(java.util.Set.of("/a 0->10", "/a 10->11", "/b 0->20", "/a 11->0"), java.util.Set.copyOf(changes));
        assertEquals(4, changes.size());
    }

    @Test
    void componentAppliesTheLabelsFileAndItsChanges(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("labels");
        Files.writeString(file, "/opt/pm = 10\n");
        FakeDsm fake = new FakeDsm();
        AccessControlComponent acs = new AccessControlComponent(new TestPolicy().service(), fake.dsm());
        acs.activate(Map.of("labels.file", file.toString(), "labels", "/opt/inline = 5", "socket.enabled", "false",
                "labels.poll.seconds", "0"));
        try {
            assertEquals(Map.of(Path.of("/opt/pm"), 10, Path.of("/opt/inline"), 5), fake.labels);
            Files.writeString(file, "/opt/pm = 11\n/opt/rb = 20\n");
            acs.syncLabels(false);
            assertEquals(Map.of(Path.of("/opt/pm"), 11, Path.of("/opt/rb"), 20, Path.of("/opt/inline"), 5), fake.labels);
            acs.modified(Map.of("labels.file", file.toString(), "socket.enabled", "false", "labels.poll.seconds", "0"));
            assertEquals(Map.of(Path.of("/opt/pm"), 11, Path.of("/opt/rb"), 20), fake.labels);
        } finally {
            acs.deactivate();
        }
    }
}
