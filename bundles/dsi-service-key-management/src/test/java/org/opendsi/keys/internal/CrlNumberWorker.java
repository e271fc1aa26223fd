package org.opendsi.keys.internal;

import java.nio.file.Path;

/** Run in a separate JVM by {@link FileCaStateStoreTest}: reserves CRL numbers in a store directory and prints them. */
public final class CrlNumberWorker {

    private CrlNumberWorker() {
    }

    public static void main(String[] args) {
        FileCaStateStore store = new FileCaStateStore(Path.of(args[0]));
        int n = Integer.parseInt(args[1]);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(store.nextCrlNumber()).append('\n');
        }
        System.out.print(out);
    }
}
