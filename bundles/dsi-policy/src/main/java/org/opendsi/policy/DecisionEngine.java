package org.opendsi.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.table.CompiledTable;

/**
 * Answers (subject ScID, subject SnID, target ScID, permission) from a {@link CompiledTable} the way
 * the kernel DSM does (TABLE-FORMAT.md: the (s, n, t) record, else (s, ANY, t), else the default).
 *
 * <p>Built for the hot path: one open-addressing table keyed by the packed (source, target) pair
 * (Fibonacci hashing, linear probing, load factor at most 1/2), node-specific records hanging off
 * the slot, and a precomputed, shared {@link Decision} instance for every answer, so
 * {@link #decide} never allocates. Immutable and thread-safe.
 */
public final class DecisionEngine {

    /** Where a rule id came from, for decision labels. */
    public record RuleRef(int line, String label) {
    }

    private static final long EMPTY = -1L; // (ANY, ANY) is never a real (source, target) pair
    private static final int SLOTS = Permission.SLOTS;

    private final long[] keys;
    private final int shift;
    private final int mask;
    /** Decision of the ANY record per slot and permission bit, null when the slot has no ANY record. */
    private final Decision[] anyDecisions;
    /** Sorted node ids with node-specific records per slot, null when none. */
    private final int[][] nodeIds;
    private final Decision[][] nodeDecisions;
    /** Default decisions [audit ? 1 : 0][bit]. */
    private final Decision[][] defaults;
    /** Open-addressing set of ScIDs in audit mode (empty when none). */
    private final int[] auditSet;
    private final boolean anyAudit;
    private final int auditMask;
    private final int records;

    /** An engine whose labels name rule ids only ("rule 7"), for tables received without their source. */
    public static DecisionEngine of(CompiledTable table) {
        return new DecisionEngine(table, id -> new RuleRef(0, "rule " + id));
    }

    public DecisionEngine(CompiledTable table, IntFunction<RuleRef> rules) {
        // audit contexts
        List<Integer> audit = new ArrayList<>();
        for (CompiledTable.Context c : table.contexts()) {
            if (c.audit()) {
                audit.add(c.scid());
            }
        }
        anyAudit = !audit.isEmpty();
        int acap = Integer.highestOneBit(Math.max(4, audit.size() * 4 - 1)) << 1;
        auditSet = new int[acap];
        Arrays.fill(auditSet, SecurityIds.ANY);
        auditMask = acap - 1;
        for (int s : audit) {
            int h = mixInt(s) & auditMask;
            while (auditSet[h] != SecurityIds.ANY) {
                h = (h + 1) & auditMask;
            }
            auditSet[h] = s;
        }

        int defMask = table.defaultAllowMask();
        defaults = new Decision[2][SLOTS];
        String defLabel = defMask == 0 ? "default deny" : "default allow";
        for (int a = 0; a < 2; a++) {
            for (Permission p : Permission.values()) {
                boolean allowed = (defMask & p.mask()) != 0;
                defaults[a][p.bit()] = new Decision(allowed, p, 0, 0,
                        allowed ? "default allow" : defMask == 0 ? "default deny" : "default deny of " + p.xmlName(),
                        !allowed && a == 1);
            }
        }

        // the table's access list is sorted by (source, target, node): records of a pair are adjacent
        List<CompiledTable.Access> access = table.access();
        records = access.size();
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < access.size(); ) {
            int j = i + 1;
            while (j < access.size() && access.get(j).srcScid() == access.get(i).srcScid()
                    && access.get(j).tgtScid() == access.get(i).tgtScid()) {
                j++;
            }
            runs.add(new int[] {i, j});
            i = j;
        }
        int cap = Integer.highestOneBit(Math.max(2, runs.size()) * 2 - 1) << 1;
        cap = Math.max(cap, 4);
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
        shift = 64 - Integer.numberOfTrailingZeros(cap);
        anyDecisions = new Decision[cap * SLOTS];
        nodeIds = new int[cap][];
        nodeDecisions = new Decision[cap][];
        DecisionCache cache = new DecisionCache(rules, defLabel, Math.min(8 * records + 1024, 1 << 22));
        java.util.Set<Integer> auditSlow = new java.util.HashSet<>(audit);
        for (int[] run : runs) {
            List<CompiledTable.Access> recs = new ArrayList<>(access.subList(run[0], run[1]));
            recs.sort((x, y) -> Integer.compare(x.srcSnid(), y.srcSnid()));
            long key = pack(recs.get(0).srcScid(), recs.get(0).tgtScid());
            int h = slot(key);
            while (keys[h] != EMPTY) {
                h = (h + 1) & mask;
            }
            keys[h] = key;
            int s = recs.get(0).srcScid();
            int t = recs.get(0).tgtScid();
            boolean audited = auditSlow.contains(s) || auditSlow.contains(t);
            List<CompiledTable.Access> specific = new ArrayList<>();
            for (CompiledTable.Access r : recs) {
                if (r.srcSnid() == SecurityIds.ANY) {
                    fill(anyDecisions, h * SLOTS, r, audited, cache);
                } else {
                    specific.add(r);
                }
            }
            if (!specific.isEmpty()) {
                int[] ids = new int[specific.size()];
                Decision[] decs = new Decision[specific.size() * SLOTS];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = specific.get(i).srcSnid();
                    fill(decs, i * SLOTS, specific.get(i), audited, cache);
                }
                nodeIds[h] = ids;
                nodeDecisions[h] = decs;
            }
        }
    }

    /**
     * Decision instances are shared: one per (rule id, permission, allowed, audit-only), built on
     * first use. Index in the per-rule array: bit * 4 + (allowed ? 2 : 0) + (auditOnly ? 1 : 0).
     */
    private static final class DecisionCache {
        final IntFunction<RuleRef> rules;
        final String defLabel;
        final Map<Integer, Decision[]> byRule = new HashMap<>();
        /** Dense rule ids (the usual case: 1..n in document order) are looked up by index. */
        final Decision[][] dense;
        int lastId = -1;
        Decision[] last;

        DecisionCache(IntFunction<RuleRef> rules, String defLabel, int denseLimit) {
            this.rules = rules;
            this.defLabel = defLabel;
            this.dense = new Decision[denseLimit][];
        }

        Decision get(int id, Permission p, boolean allowed, boolean auditOnly) {
            Decision[] arr;
            if (id == lastId) {
                arr = last;
            } else {
                boolean isDense = id >= 0 && id < dense.length;
                arr = isDense ? dense[id] : byRule.get(id);
                if (arr == null) {
                    arr = new Decision[Permission.values().length * 4];
                    if (isDense) {
                        dense[id] = arr;
                    } else {
                        byRule.put(id, arr);
                    }
                }
                lastId = id;
                last = arr;
            }
            int i = p.bit() * 4 + (allowed ? 2 : 0) + (auditOnly ? 1 : 0);
            Decision d = arr[i];
            if (d == null) {
                int line;
                String label;
                if (id == 0) {
                    line = 0;
                    label = allowed ? "default allow" : defLabel.equals("default deny") ? "default deny"
                            : "default deny of " + p.xmlName();
                } else {
                    RuleRef ref = rules.apply(id);
                    line = ref == null ? 0 : ref.line();
                    label = ref == null ? "rule " + id : ref.label();
                }
                d = arr[i] = new Decision(allowed, p, id, line, label, auditOnly);
            }
            return d;
        }
    }

    private static final Permission[] PERMISSIONS = Permission.values();

    private static void fill(Decision[] out, int base, CompiledTable.Access r, boolean audited, DecisionCache cache) {
        int[] ids = r.ruleIds();
        int allowMask = r.allowMask();
        for (Permission p : PERMISSIONS) {
            int b = p.bit();
            boolean allowed = (allowMask & p.mask()) != 0;
            out[base + b] = cache.get(ids[b], p, allowed, !allowed && audited);
        }
    }

    private static long pack(int s, int t) {
        return ((long) s << 32) | (t & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift) & mask;
    }

    private static int mixInt(int x) {
        return (x * 0x9E3779B9) ^ (x >>> 16);
    }

    /** Number of access records the engine holds. */
    public int records() {
        return records;
    }

    /** Whether a context is in audit mode. */
    public boolean isAudit(int scid) {
        if (!anyAudit) {
            return false;
        }
        int h = mixInt(scid) & auditMask;
        int[] set = auditSet;
        while (true) {
            int v = set[h];
            if (v == scid) {
                return true;
            }
            if (v == SecurityIds.ANY) {
                return false;
            }
            h = (h + 1) & auditMask;
        }
    }

    /** The decision for subject (s, n) exercising permission p on target t. Allocation free. */
    public Decision decide(int s, int n, int t, Permission p) {
        int b = p.bit();
        long key = ((long) s << 32) | (t & 0xFFFFFFFFL);
        long[] ks = keys;
        int h = (int) ((key * 0x9E3779B97F4A7C15L) >>> shift) & mask;
        while (true) {
            long k = ks[h];
            if (k == key) {
                break;
            }
            if (k == EMPTY) {
                return defaultDecision(s, t, b);
            }
            h = (h + 1) & mask;
        }
        int[] nodes = nodeIds[h];
        if (nodes != null) {
            int i = nodes.length <= 8 ? linear(nodes, n) : Arrays.binarySearch(nodes, n);
            if (i >= 0) {
                return nodeDecisions[h][i * SLOTS + b];
            }
        }
        Decision d = anyDecisions[h * SLOTS + b];
        return d != null ? d : defaultDecision(s, t, b);
    }

    private static int linear(int[] nodes, int n) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] == n) {
                return i;
            }
        }
        return -1;
    }

    private Decision defaultDecision(int s, int t, int b) {
        if (anyAudit && (isAudit(s) || isAudit(t))) {
            return defaults[1][b];
        }
        return defaults[0][b];
    }
}
