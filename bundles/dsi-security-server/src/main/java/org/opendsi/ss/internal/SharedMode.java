package org.opendsi.ss.internal;

import java.time.Instant;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.StoreHealth;

/**
 * What the active Security Server asks of the lease it runs under: may it still act (sign), who holds
 * the lease, how the store is. A single Security Server on its file store always may.
 */
record SharedMode(BooleanSupplier mayAct, Supplier<LeaseStatus> lease, Supplier<StoreHealth> health) {

    static final SharedMode SOLE = new SharedMode(() -> true, () -> LeaseStatus.SOLE,
            () -> new StoreHealth("file", "", true, "", Instant.now(), null));
}
