package org.opendsi.ss.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKey;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.ss.StoredLabelKeys;

/**
 * Label key material: a 32-byte random master secret per epoch, and the key of each node pair
 * derived from it, so the Security Server stores one secret per epoch and a node receives only the
 * keys of the pairs it belongs to (it cannot compute another pair's key, so it cannot forge labels
 * between two other nodes):
 * <pre>
 * key(e, a, b) = first 16 bytes of HMAC-SHA256(master_e, "dsi-label-key-v1" || e || min(a,b) || max(a,b))
 * </pre>
 * with e, a, b as 4-byte big-endian unsigned integers; key(e, a, b) = key(e, b, a).
 */
final class LabelKeyDerivation {

    static final byte[] LABEL = "dsi-label-key-v1".getBytes(StandardCharsets.US_ASCII);
    static final int MASTER_BYTES = 32;
    static final int KEY_BYTES = 16;

    private LabelKeyDerivation() {
    }

    static byte[] newMaster(SecureRandom random) {
        byte[] m = new byte[MASTER_BYTES];
        random.nextBytes(m);
        return m;
    }

    static byte[] pairKey(byte[] master, int epoch, int a, int b) {
        int lo = Integer.compareUnsigned(a, b) <= 0 ? a : b;
        int hi = lo == a ? b : a;
        byte[] info = ByteBuffer.allocate(LABEL.length + 12).put(LABEL).putInt(epoch).putInt(lo).putInt(hi).array();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(master, "HmacSHA256"));
            byte[] full = mac.doFinal(info);
            byte[] key = Arrays.copyOf(full, KEY_BYTES);
            Arrays.fill(full, (byte) 0);
            return key;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** The epoch number after {@code last}: numbers whose low 8 bits are 0 are skipped (0 on the wire = no key). */
    static int nextEpoch(int last) {
        int e = last + 1;
        if ((e & ClusterMessages.EPOCH_WIRE_MASK) == 0) {
            e++;
        }
        if (e <= 0) {
            throw new IllegalStateException("label key epoch numbers exhausted after " + last);
        }
        return e;
    }

    /**
     * Node n's keys: for each epoch held, one per member (n itself included), none of another pair. The same
     * for the active server's authority and for a standby deriving its own node's set from the store.
     */
    static LabelKeySet setFor(List<StoredLabelKeys.Epoch> epochs, int sendEpoch, int n, Set<Integer> members) {
        List<Integer> peers = new ArrayList<>(members);
        peers.sort(Integer::compareUnsigned);
        List<LabelKey> keys = new ArrayList<>(epochs.size() * peers.size());
        for (StoredLabelKeys.Epoch e : epochs) {
            byte[] master = e.master();
            for (int m : peers) {
                byte[] k = pairKey(master, e.epoch(), n, m);
                keys.add(new LabelKey(e.epoch(), m, k));
                Arrays.fill(k, (byte) 0);
            }
            Arrays.fill(master, (byte) 0);
        }
        return new LabelKeySet(sendEpoch, keys);
    }
}
