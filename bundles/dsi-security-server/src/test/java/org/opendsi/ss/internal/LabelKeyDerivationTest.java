package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class LabelKeyDerivationTest {

    private static byte[] master() {
        byte[] m = new byte[32];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    /** Pinned: HMAC-SHA256(0x00..0x1f, "dsi-label-key-v1" || 1 || 1 || 2), first 16 bytes. */
    @Test
    void knownAnswer() {
        assertEquals("b7d1ad672f12af71273ff8fa4162210f",
                HexFormat.of().formatHex(LabelKeyDerivation.pairKey(master(), 1, 1, 2)));
    }

    @Test
    void pairsAreSymmetricAndDistinct() {
        byte[] m = master();
        assertArrayEquals(LabelKeyDerivation.pairKey(m, 7, 2, 3), LabelKeyDerivation.pairKey(m, 7, 3, 2));
        assertFalse(Arrays.equals(LabelKeyDerivation.pairKey(m, 7, 2, 3), LabelKeyDerivation.pairKey(m, 7, 2, 4)));
        assertFalse(Arrays.equals(LabelKeyDerivation.pairKey(m, 7, 2, 3), LabelKeyDerivation.pairKey(m, 8, 2, 3)));
        assertFalse(Arrays.equals(LabelKeyDerivation.pairKey(m, 7, 2, 2), LabelKeyDerivation.pairKey(m, 7, 3, 3)));
        byte[] other = LabelKeyDerivation.newMaster(new SecureRandom());
        assertEquals(32, other.length);
        assertFalse(Arrays.equals(LabelKeyDerivation.pairKey(m, 7, 2, 3), LabelKeyDerivation.pairKey(other, 7, 2, 3)));
        // SnIDs compare unsigned: the pair (1, 2^32-2) is written (1, 4294967294) whichever side asks
        assertArrayEquals(LabelKeyDerivation.pairKey(m, 1, -2, 1), LabelKeyDerivation.pairKey(m, 1, 1, -2));
    }

    @Test
    void epochsSkipZeroOnTheWire() {
        assertEquals(1, LabelKeyDerivation.nextEpoch(0));
        assertEquals(2, LabelKeyDerivation.nextEpoch(1));
        assertEquals(257, LabelKeyDerivation.nextEpoch(255));
        assertEquals(513, LabelKeyDerivation.nextEpoch(511));
    }
}
