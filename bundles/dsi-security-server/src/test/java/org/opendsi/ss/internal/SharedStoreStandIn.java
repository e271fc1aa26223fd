package org.opendsi.ss.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.opendsi.keys.CaStateStore;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;
import org.opendsi.ss.StoredAlarm;

/**
 * What a Security Server's own parts need of a shared store, over a real ServerStore: the servers' reports (the snids in
 * {@code silent} stopped reporting long ago) and the standbys' alarms (refused while {@code down}).
 */
final class SharedStoreStandIn implements SharedStore {
    final ServerStore store;
    final Map<Integer, ServerPeer> reports = new ConcurrentHashMap<>();
    final Set<Integer> silent = ConcurrentHashMap.newKeySet();
    volatile boolean down;

    SharedStoreStandIn(ServerStore store) {
        this.store = store;
    }

    @Override
    public ServerStore serverStore() {
        return store;
    }

    @Override
    public void report(ServerPeer self) {
        reports.put(self.snid(), self);
    }

    @Override
    public List<ServerPeer> servers() {
        List<ServerPeer> out = new ArrayList<>();
        new TreeMap<>(reports).forEach((n, p) -> out.add(new ServerPeer(n, p.name(), p.labelSendEpoch(),
                p.labelEpochs(), p.labelError(), Instant.now(), !silent.contains(n))));
        return out;
    }

    @Override
    public boolean appendAlarm(StoredAlarm alarm) {
        if (down) {
            throw new IllegalStateException("cannot write alarm " + alarm.alarm().id() + " to the store: it is down");
        }
        return store.addAlarm(alarm);
    }

    @Override
    public CaStateStore caState() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Leadership lead(String name, String address, Consumer<LeaseStatus> onChange) {
        throw new UnsupportedOperationException();
    }

    @Override
    public StoreHealth health() {
        throw new UnsupportedOperationException();
    }

    @Override
    public String bindRoot(String rootFingerprint) {
        throw new UnsupportedOperationException();
    }
}
