package org.opendsi.access.internal;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;

/** A recording stand-in for the kernel DSM: contexts, labels, the loaded table, pid -> ScID. */
final class FakeDsm {

    final List<String> calls = new ArrayList<>();
    final Map<Path, Integer> labels = new HashMap<>();
    final Map<Integer, Integer> pids = new HashMap<>();
    final java.util.Set<Integer> contexts = new java.util.TreeSet<>();
    CompiledTable table;
    /** "local remote" (InetSocketAddress.toString) -> ScID of that socket; null: the DSM cannot tell. */
    java.util.Map<String, Integer> sockets;
    RuntimeException failLoad;

    Dsm dsm() {
        return (Dsm) Proxy.newProxyInstance(Dsm.class.getClassLoader(), new Class<?>[] {Dsm.class}, (p, m, a) -> {
            switch (m.getName()) {
                case "createContext":
                    calls.add("createContext " + a[0]);
                    contexts.add((Integer) a[0]);
                    return null;
                case "loadTable":
                    if (failLoad != null) {
                        throw failLoad;
                    }
                    table = (CompiledTable) a[0];
                    calls.add("loadTable " + table.policyVersion());
                    return null;
                case "tableVersion":
                    return table == null ? 0L : table.policyVersion();
                case "labelBinary": {
                    calls.add("labelBinary " + a[0] + " " + a[1]);
                    Integer old = (Integer) a[1] == 0 ? labels.remove(a[0]) : labels.put((Path) a[0], (Integer) a[1]);
                    return old == null ? 0 : old;
                }
                case "contextOf":
                    return pids.getOrDefault((Integer) a[0], 0);
                case "socketContext": {
                    if (sockets == null) {
                        throw new org.opendsi.dsm.DsmException("kernel cannot tell",
                                org.opendsi.dsm.DsmException.EOPNOTSUPP);
                    }
                    Integer scid = sockets.get(a[0] + " " + a[1]);
                    return scid == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(scid);
                }
                case "nodeId":
                    return 1;
                case "hashCode":
                    return System.identityHashCode(p);
                case "equals":
                    return p == a[0];
                case "toString":
                    return "FakeDsm";
                default:
                    throw new UnsupportedOperationException(m.getName());
            }
        });
    }
}
