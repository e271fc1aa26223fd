package org.opendsi.ss;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;

/**
 * The Security Server's label key epochs as stored (see {@link ServerStore#labelKeys()}): the send
 * epoch, the highest epoch number ever issued (numbers are never reused), and the epochs held — at
 * most two — each with its 32-byte master secret, from which every pair key of that epoch derives.
 * The master secrets are the cluster's most sensitive label material: they appear in no
 * {@code toString()}, and a store keeps them in an owner-only file.
 */
public record StoredLabelKeys(int sendEpoch, int lastEpoch, List<Epoch> epochs) {

    public StoredLabelKeys {
        epochs = List.copyOf(epochs);
    }

    /** One epoch: its number, when it was created, and its master secret (32 bytes). */
    public record Epoch(int epoch, Instant created, byte[] master) {
        public Epoch {
            if (master == null || master.length != 32) {
                throw new IllegalArgumentException("a label key master secret has 32 bytes");
            }
            master = master.clone();
        }

        @Override
        public byte[] master() {
            return master.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Epoch e && e.epoch == epoch && e.created.equals(created)
                    && MessageDigest.isEqual(e.master, master);
        }

        @Override
        public int hashCode() {
            return 31 * epoch + created.hashCode();
        }

        @Override
        public String toString() {   // never the master secret
            return "Epoch[epoch=" + epoch + ", created=" + created + "]";
        }
    }
}
