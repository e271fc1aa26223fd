package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** What the tests that run a real Security Server and Managers on loopback share. */
final class Runtimes {

    private Runtimes() {
    }

    /** Closes in reverse order of creation, best effort. */
    static void closeAll(List<AutoCloseable> closeables) {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // best effort
            }
        }
    }

    /** Reads a private field of the production object (the runtimes expose no accessor for these). */
    static <T> T field(Object o, String name, Class<T> type) {
        try {
            Field fl = o.getClass().getDeclaredField(name);
            fl.setAccessible(true);
            return type.cast(fl.get(o));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, int seconds, BooleanSupplier cond) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + seconds + " s waiting until " + what);
            }
            Thread.sleep(50);
        }
    }
}
