package org.opendsi.sm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKey;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmUnavailableException;

class LabelKeyHolderTest {

    @TempDir
    Path tmp;

    private static byte[] key(int b) {
        byte[] k = new byte[16];
        java.util.Arrays.fill(k, (byte) b);
        return k;
    }

    private static LabelKeySet set(int send, int... epochs) {
        List<LabelKey> keys = new java.util.ArrayList<>();
        for (int e : epochs) {
            keys.add(new LabelKey(e, 1, key(e * 10 + 1)));
            keys.add(new LabelKey(e, 2, key(e * 10 + 2)));
        }
        return new LabelKeySet(send, keys);
    }

    @Test
    void storedOwnerOnlyInstalledAndReloadedAtTheNextStart() throws Exception {
        FakeLabelDsm kernel = new FakeLabelDsm();
        Path file = tmp.resolve("sm").resolve("label-keys.json");
        LabelKeyHolder h = new LabelKeyHolder(file, kernel::dsm);
        LabelKeysAck ack = h.accept(set(1, 1, 2));
        assertEquals(new LabelKeysAck(1, List.of(1, 2), null), ack);
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        assertEquals(1, kernel.installs.size());
        assertEquals(List.of(1, 2), kernel.last().peers(2));
        assertTrue(java.util.Arrays.equals(key(22), kernel.last().key(2, 2)));
        assertTrue(h.view().installed());
        assertEquals(List.of(1, 2), h.view().peers());

        // a restart while the Security Server is away: the stored set goes into the (new) kernel DSM
        FakeLabelDsm after = new FakeLabelDsm();
        LabelKeyHolder restarted = new LabelKeyHolder(file, after::dsm);
        assertEquals(ack, restarted.reinstall().orElseThrow());
        assertEquals(kernel.last().keys(), after.last().keys());
        assertEquals(1, after.last().sendEpoch());
        assertEquals(1, restarted.view().sendEpoch());

        assertTrue(new LabelKeyHolder(tmp.resolve("none.json"), kernel::dsm).reinstall().isEmpty());
    }

    @Test
    void anUnavailableDsmIsReportedAndDropsNothing() {
        FakeLabelDsm kernel = new FakeLabelDsm();
        kernel.available = false;
        LabelKeyHolder h = new LabelKeyHolder(tmp.resolve("k.json"), kernel::dsm);
        LabelKeysAck ack = h.accept(set(1, 1, 2));
        assertEquals(List.of(1, 2), ack.epochs(), "it checks no label: no laggard");
        assertTrue(ack.error().startsWith("DSM unavailable: not root"), ack.error());
        assertFalse(h.view().installed());
        assertTrue(h.view().error().contains("not in the kernel"), h.view().error());
        assertTrue(kernel.installs.isEmpty());

        LabelKeyHolder none = new LabelKeyHolder(tmp.resolve("n.json"), () -> null);
        assertEquals("no DSM on this node", none.accept(set(1, 1)).error());

        kernel.available = true;
        kernel.refuse = new DsmUnavailableException("detached");
        LabelKeysAck detached = h.accept(set(2, 2));
        assertTrue(detached.error().startsWith("DSM unavailable: detached"), detached.error());
        assertEquals(List.of(2), detached.epochs());
    }

    @Test
    void aRefusedSetLeavesTheEpochsOfTheLastOneTaken() {
        FakeLabelDsm kernel = new FakeLabelDsm();
        LabelKeyHolder h = new LabelKeyHolder(tmp.resolve("k.json"), kernel::dsm);
        assertNull(h.accept(set(1, 1)).error());
        kernel.refuse = new DsmException("map update failed", 22);
        LabelKeysAck ack = h.accept(set(1, 1, 2));
        assertEquals(List.of(1), ack.epochs(), "the kernel still holds epoch 1 only");
        assertTrue(ack.error().contains("the DSM refused them: map update failed"), ack.error());

        kernel.refuse = new DsmException("this DSM does not authenticate labels", DsmException.EOPNOTSUPP);
        LabelKeysAck unsupported = h.accept(set(2, 1, 2));
        assertEquals(List.of(1, 2), unsupported.epochs());
        assertEquals("this DSM does not authenticate labels", unsupported.error());
    }
}
