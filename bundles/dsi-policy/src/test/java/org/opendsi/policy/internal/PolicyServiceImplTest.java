package org.opendsi.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.policy.PolicyChange;
import org.opendsi.api.policy.PolicyCheck;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyVersion;

class PolicyServiceImplTest {

    static final Path SAMPLES = Path.of("../../policy-samples");

    @TempDir
    Path tmp;

    private PolicyServiceImpl start(Map<String, ?> config) throws Exception {
        PolicyServiceImpl s = new PolicyServiceImpl();
        s.activate(config);
        return s;
    }

    private Map<String, Object> config() {
        return Map.of(PolicyServiceImpl.HISTORY_DIR, tmp.resolve("history").toString());
    }

    @Test
    void noPolicyDeniesEverything() throws Exception {
        PolicyServiceImpl s = start(config());
        assertTrue(s.current().isEmpty());
        assertTrue(s.currentTable().isEmpty());
        assertTrue(s.rules().isEmpty());
        assertTrue(s.history().isEmpty());
        Decision d = s.decide(10, 1, 10, Permission.RECEIVE);
        assertFalse(d.allowed());
        assertEquals(0, d.ruleId());
    }

    @Test
    void updatePersistsAndSurvivesRestart() throws Exception {
        PolicyServiceImpl s = start(config());
        PolicyVersion v1 = s.update(SAMPLES.resolve("permissive.xml"));
        PolicyVersion v2 = s.update(SAMPLES.resolve("virtual-zones.xml"));
        assertEquals(1, v1.version());
        assertEquals(2, v2.version());
        assertEquals("virtual-zones", v2.summary().name());
        assertEquals(64, v2.summary().digest().length());
        assertEquals(2, s.currentTable().orElseThrow().policyVersion());
        assertFalse(s.decide(10, 1, 20, Permission.SEND).allowed());
        assertEquals(17, s.rules().size());
        // files on disk: xml + properties per version, nothing temporary left
        try (Stream<Path> files = Files.list(tmp.resolve("history"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("0000000000000000001.properties", "0000000000000000001.xml",
                    "0000000000000000002.properties", "0000000000000000002.xml"), names);
        }
        // restart: the latest version is current again, with its version number
        PolicyServiceImpl again = start(config());
        assertEquals(2, again.current().orElseThrow().version());
        assertEquals(v2.summary(), again.current().orElseThrow().summary());
        assertEquals(v2.appliedAt(), again.current().orElseThrow().appliedAt());
        assertFalse(again.decide(10, 1, 20, Permission.SEND).allowed());
        assertEquals(2, again.history().size());
        assertEquals(3, again.update(SAMPLES.resolve("boot.xml")).version());
    }

    @Test
    void rejectedPolicyKeepsTheRunningOneAndTheHistory() throws Exception {
        PolicyServiceImpl s = start(config());
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        Path bad = tmp.resolve("bad.xml");
        Files.writeString(bad, Files.readString(SAMPLES.resolve("virtual-zones.xml")).replace("target=\"20\"",
                "target=\"21\""));
        PolicyException e = assertThrows(PolicyException.class, () -> s.update(bad));
        assertEquals(bad.toString(), e.errors().get(0).file());
        assertTrue(e.errors().get(0).line() > 0);
        assertEquals(1, s.current().orElseThrow().version());
        assertEquals(1, s.history().size());
        assertFalse(s.decide(10, 1, 20, Permission.SEND).allowed());
        PolicyCheck c = s.check(bad);
        assertFalse(c.valid());
        assertTrue(s.check(SAMPLES.resolve("boot.xml")).valid());
        assertThrows(PolicyException.class, () -> s.update(tmp.resolve("missing.xml")));
        assertEquals(1, s.history().size());
    }

    @Test
    void versionsAssignedElsewhereMustBeNewerAndSurviveRestart() throws Exception {
        PolicyServiceImpl s = start(config());
        byte[] zones = Files.readAllBytes(SAMPLES.resolve("virtual-zones.xml"));
        byte[] permissive = Files.readAllBytes(SAMPLES.resolve("permissive.xml"));
        assertEquals(7, s.applyVersion("ss", zones, 7).version());
        assertEquals(java.util.Arrays.toString(zones), java.util.Arrays.toString(s.currentSource().orElseThrow()));
        // a replayed or out-of-order version is refused and changes nothing
        PolicyException replay = assertThrows(PolicyException.class, () -> s.applyVersion("ss", permissive, 7));
        assertTrue(replay.getMessage().contains("not newer"), replay.getMessage());
        assertThrows(PolicyException.class, () -> s.applyVersion("ss", permissive, 3));
        assertFalse(s.decide(10, 1, 20, Permission.SEND).allowed());
        assertEquals(9, s.applyVersion("ss", permissive, 9).version());
        PolicyServiceImpl again = start(config());
        assertEquals(9, again.current().orElseThrow().version());
        assertEquals(java.util.Arrays.toString(permissive), java.util.Arrays.toString(again.currentSource().orElseThrow()));
        assertEquals(10, again.update(SAMPLES.resolve("boot.xml")).version());
    }

    @Test
    void rollbackReappliesUnderANewNumber() throws Exception {
        PolicyServiceImpl s = start(config());
        s.update(SAMPLES.resolve("permissive.xml"));
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        assertFalse(s.decide(10, 1, 20, Permission.SEND).allowed());
        PolicyVersion r = s.rollback(1);
        assertEquals(3, r.version());
        assertEquals("rollback to 1", r.source());
        assertTrue(s.decide(10, 1, 20, Permission.SEND).allowed());
        assertEquals(s.history().get(0).summary().digest(), r.summary().digest());
        PolicyException e = assertThrows(PolicyException.class, () -> s.rollback(42));
        assertTrue(e.getMessage().contains("no policy version 42"), e.getMessage());
        assertEquals(3, s.current().orElseThrow().version());
        // monotonic after restart too
        assertEquals(4, start(config()).update(SAMPLES.resolve("boot.xml")).version());
    }

    @Test
    void historyIsPrunedButVersionsKeepIncreasing() throws Exception {
        PolicyServiceImpl s = start(Map.of(PolicyServiceImpl.HISTORY_DIR, tmp.toString(),
                PolicyServiceImpl.HISTORY_MAX, "3"));
        for (int i = 0; i < 5; i++) {
            s.update(SAMPLES.resolve(i % 2 == 0 ? "boot.xml" : "permissive.xml"));
        }
        List<Long> kept = s.history().stream().map(PolicyVersion::version).toList();
        assertEquals(List.of(3L, 4L, 5L), kept);
        assertThrows(PolicyException.class, () -> s.rollback(1));
        assertEquals(6, s.rollback(4).version());
    }

    @Test
    void sourceOfEachKeptVersion() throws Exception {
        PolicyServiceImpl s = start(Map.of(PolicyServiceImpl.HISTORY_DIR, tmp.resolve("history").toString(),
                PolicyServiceImpl.HISTORY_MAX, "2"));
        s.update(SAMPLES.resolve("permissive.xml"));
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        s.update(SAMPLES.resolve("boot.xml"));
        // version 1 was pruned (history.max 2); 2 and 3 are kept, byte for byte as applied
        assertTrue(s.source(1).isEmpty());
        assertTrue(s.source(4).isEmpty());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(SAMPLES.resolve("virtual-zones.xml")),
                s.source(2).orElseThrow()));
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(SAMPLES.resolve("boot.xml")), s.source(3).orElseThrow()));
        // a copy: changing it changes nothing kept
        s.source(3).orElseThrow()[0] = 'X';
        assertEquals('<', s.source(3).orElseThrow()[0]);
        // after a restart the kept versions are still there
        assertTrue(new String(start(config()).source(2).orElseThrow(), StandardCharsets.UTF_8).contains("virtual-zones"));
    }

    @Test
    void bootPolicyOnlyWhenTheHistoryIsEmpty() throws Exception {
        Map<String, Object> cfg = Map.of(PolicyServiceImpl.HISTORY_DIR, tmp.toString(),
                PolicyServiceImpl.BOOT_POLICY, SAMPLES.resolve("boot.xml").toString());
        PolicyServiceImpl s = start(cfg);
        assertEquals("boot", s.current().orElseThrow().summary().name());
        assertTrue(s.current().orElseThrow().source().startsWith("boot.policy"));
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        PolicyServiceImpl again = start(cfg);
        assertEquals("virtual-zones", again.current().orElseThrow().summary().name());
        assertEquals(2, again.history().size());
    }

    @Test
    void sizeLimitFromConfiguration() throws Exception {
        PolicyServiceImpl s = start(Map.of(PolicyServiceImpl.HISTORY_DIR, tmp.toString(),
                PolicyServiceImpl.MAX_SIZE_BYTES, "500"));
        PolicyException e = assertThrows(PolicyException.class, () -> s.update(SAMPLES.resolve("virtual-zones.xml")));
        assertTrue(e.getMessage().contains("limit is 500 bytes"), e.getMessage());
        assertEquals(1, s.update(SAMPLES.resolve("boot.xml")).version());
    }

    @Test
    void listenersHearEveryNewPolicyAndTheCurrentOneOnBind() throws Exception {
        PolicyServiceImpl s = start(config());
        List<Long> early = new ArrayList<>();
        PolicyListener first = (v, t) -> early.add(t.policyVersion());
        s.addListener(first);
        assertTrue(early.isEmpty());
        s.update(SAMPLES.resolve("boot.xml"));
        List<Long> late = new ArrayList<>();
        s.addListener((v, t) -> {
            assertEquals(v.version(), t.policyVersion());
            late.add(v.version());
        });
        assertEquals(List.of(1L), late);
        s.addListener((v, t) -> {
            throw new IllegalStateException("a broken listener does not stop the others");
        });
        s.update(SAMPLES.resolve("permissive.xml"));
        s.removeListener(first);
        s.rollback(1);
        assertEquals(List.of(1L, 2L), early);
        assertEquals(List.of(1L, 2L, 3L), late);
        // a restarted service tells its listeners about the restored policy
        PolicyServiceImpl again = new PolicyServiceImpl();
        List<Long> restored = new ArrayList<>();
        again.addListener((v, t) -> restored.add(v.version()));
        again.activate(config());
        assertEquals(List.of(3L), restored);
    }

    @Test
    void diffAgainstTheCurrentPolicy() throws Exception {
        PolicyServiceImpl s = start(config());
        List<PolicyChange> fresh = s.diff(SAMPLES.resolve("boot.xml"));
        assertTrue(fresh.stream().allMatch(c -> c.kind() == PolicyChange.Kind.ADDED));
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        assertTrue(s.diff(SAMPLES.resolve("virtual-zones-zoned.xml")).isEmpty());
        assertTrue(s.diff(SAMPLES.resolve("permissive.xml")).stream()
                .anyMatch(c -> c.key().equals("10@*->20") && c.kind() == PolicyChange.Kind.REMOVED));
    }

    @Test
    void corruptLatestVersionFallsBackToTheOneBefore() throws Exception {
        PolicyServiceImpl s = start(config());
        s.update(SAMPLES.resolve("permissive.xml"));
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        Path hist = tmp.resolve("history");
        Files.writeString(hist.resolve("0000000000000000002.xml"), "<dsp", StandardCharsets.UTF_8);
        Files.writeString(hist.resolve(".0000000000000000003.xml123.tmp"), "partial", StandardCharsets.UTF_8);
        Files.writeString(hist.resolve("0000000000000000004.xml"), "orphan", StandardCharsets.UTF_8);
        PolicyServiceImpl again = start(config());
        assertEquals(1, again.current().orElseThrow().version());
        assertFalse(Files.exists(hist.resolve(".0000000000000000003.xml123.tmp")));
        // the next version is still above every stored one
        assertEquals(3, again.update(SAMPLES.resolve("boot.xml")).version());
    }

    @Test
    void concurrentDecisionsDuringUpdatesSeeWholePolicies() throws Exception {
        PolicyServiceImpl s = start(config());
        s.update(SAMPLES.resolve("virtual-zones.xml"));
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Decision a = s.decide(10, 1, 20, Permission.SEND);
                    Decision b = s.decide(10, 1, 10, Permission.SEND);
                    // each call sees either policy: zones (deny 10->20 by rule 7) or permissive (default allow)
                    assertTrue(a.ruleId() == 7 && !a.allowed() || a.ruleId() == 0 && a.allowed(), a.toString());
                    assertTrue(b.allowed(), b.toString());
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (int i = 0; i < 20; i++) {
            s.update(SAMPLES.resolve(i % 2 == 0 ? "permissive.xml" : "virtual-zones.xml"));
        }
        stop.set(true);
        reader.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(21, s.current().orElseThrow().version());
    }
}
