package org.opendsi.ss.internal;

import java.time.Instant;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;

/**
 * What the active Security Server asks of the lease it runs under: may it still act (sign), who holds
 * the lease, how the store is, and the store it shares with the other servers (null on a file store,
 * where a single Security Server always may act).
 */
record SharedMode(BooleanSupplier mayAct, Supplier<LeaseStatus> lease, Supplier<StoreHealth> health, SharedStore store) {

    static final SharedMode SOLE = sole(() -> new StoreHealth("file", "", true, "", Instant.now(), null));

    /** A single Security Server on its file store, whose health {@code health} tells. */
    static SharedMode sole(Supplier<StoreHealth> health) {
        return new SharedMode(() -> true, () -> LeaseStatus.SOLE, health, null);
    }

    /** The active one of the servers sharing {@code store}, under the lease {@code l}. */
    static SharedMode on(SharedStore store, SharedStore.Leadership l) {
        return new SharedMode(l::holdsNow, l::status, store::health, store);
    }
}
