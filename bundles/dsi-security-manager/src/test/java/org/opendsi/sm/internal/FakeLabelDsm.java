package org.opendsi.sm.internal;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmStatus;

/** A stand-in for the kernel DSM that records the label key sets installed into it. */
final class FakeLabelDsm {

    record Installed(int sendEpoch, List<Dsm.LabelKey> keys) {
        List<Integer> peers(int epoch) {
            return keys.stream().filter(k -> k.epoch() == epoch).map(Dsm.LabelKey::peerSnid).sorted().toList();
        }

        byte[] key(int epoch, int peer) {
            return keys.stream().filter(k -> k.epoch() == epoch && k.peerSnid() == peer).findFirst()
                    .map(Dsm.LabelKey::key).orElse(null);
        }
    }

    final List<Installed> installs = new CopyOnWriteArrayList<>();
    volatile boolean available = true;
    /** Thrown by installLabelKeys when set. */
    volatile DsmException refuse;

    Installed last() {
        return installs.isEmpty() ? null : installs.get(installs.size() - 1);
    }

    @SuppressWarnings("unchecked")
    Dsm dsm() {
        return (Dsm) Proxy.newProxyInstance(Dsm.class.getClassLoader(), new Class<?>[] {Dsm.class}, (p, m, a) -> {
            switch (m.getName()) {
                case "status":
                    return new DsmStatus(available, available ? "" : "not root", 2, 0, "", "", "", "", "", "", "", 0, "");
                case "isAvailable":
                    return available;
                case "installLabelKeys":
                    if (refuse != null) {
                        throw refuse;
                    }
                    installs.add(new Installed((Integer) a[0], List.copyOf((List<Dsm.LabelKey>) a[1])));
                    return null;
                case "nodeId":
                    return 2;
                case "hashCode":
                    return System.identityHashCode(p);
                case "equals":
                    return p == a[0];
                case "toString":
                    return "FakeLabelDsm";
                default:
                    throw new UnsupportedOperationException(m.getName());
            }
        });
    }
}
