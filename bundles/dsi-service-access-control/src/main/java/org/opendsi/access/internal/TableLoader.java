package org.opendsi.access.internal;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an applied policy into DSM state: the node's security context repository (every context
 * the policy names, and every context a transition leads to, gets its cgroup) and the kernel
 * table (one atomic swap). The kernel's per-socket verdict cache is keyed by table generation, so
 * the new table applies to live sockets too (pre-emptive security). Thread-safe.
 */
final class TableLoader {

    private static final Logger LOG = LoggerFactory.getLogger(TableLoader.class);

    /** What one application of a policy did. */
    record Result(long version, SortedSet<Integer> contexts, boolean loaded, String problem) {
    }

    private final SortedSet<Integer> repository = new TreeSet<>();
    private volatile long version;

    /** The security contexts a policy needs on this node (never 0: unlabeled processes have no cgroup). */
    static SortedSet<Integer> contextsOf(CompiledTable table) {
        SortedSet<Integer> out = new TreeSet<>();
        for (CompiledTable.Context c : table.contexts()) {
            out.add(c.scid());
        }
        for (CompiledTable.Transition t : table.transitions()) {
            out.add(t.newScid());
        }
        out.remove(0);
        return out;
    }

    synchronized Result apply(Dsm dsm, CompiledTable table) {
        long v = table.policyVersion();
        SortedSet<Integer> wanted = contextsOf(table);
        StringBuilder problems = new StringBuilder();
        boolean loaded = false;
        try {
            for (int scid : wanted) {
                try {
                    dsm.createContext(scid); // no-op when it exists; recreates it after a DSM re-attach
                    repository.add(scid);
                } catch (DsmUnavailableException e) {
                    throw e;
                } catch (RuntimeException e) {
                    problems.append("context ").append(Integer.toUnsignedString(scid)).append(": ")
                            .append(e.getMessage()).append("; ");
                }
            }
            if (dsm.tableVersion() == v && v != 0) {
                LOG.debug("policy version {} is already the kernel's table", v);
            } else {
                dsm.loadTable(table);
            }
            loaded = true;
        } catch (DsmUnavailableException e) {
            problems.append("not enforced in the kernel: ").append(e.getMessage());
        } catch (RuntimeException e) {
            problems.append("loading the table failed (the previous table stays in force): ").append(e.getMessage());
        }
        version = v;
        return new Result(v, Collections.unmodifiableSortedSet(new TreeSet<>(wanted)), loaded, problems.toString());
    }

    long version() {
        return version;
    }

    /** The contexts this service created (or found) on this node. */
    synchronized SortedSet<Integer> repository() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(repository));
    }
}
