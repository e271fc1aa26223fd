package org.opendsi.api.table;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;

class CompiledTableTest {

    static CompiledTable sample() {
        byte[] digest = new byte[32];
        digest[0] = 0x42;
        int[] rules = new int[8];
        rules[Permission.RECEIVE.bit()] = 7;
        return new CompiledTable(5, digest, 0, Permission.CONNECT.mask(),
                List.of(new CompiledTable.Context(20, 0), new CompiledTable.Context(10, CompiledTable.CONTEXT_FLAG_AUDIT)),
                List.of(new CompiledTable.Node(2, new byte[] {10, 0, 0, 2}), new CompiledTable.Node(1, new byte[] {10, 0, 0, 1})),
                List.of(new CompiledTable.Access(10, SecurityIds.ANY, 10, Permission.RECEIVE.mask(), rules)),
                List.of(new CompiledTable.SocketLabel(CompiledTable.PROTO_UDP, 8800, SecurityIds.ANY, 10, 1)),
                List.of(new CompiledTable.Transition(2, 10, 10, 9)),
                List.of(new CompiledTable.NetRule(10, new byte[] {(byte) 192, (byte) 168, 0, 0}, 16, 0,
                        Permission.CONNECT.mask(), 12)));
    }

    @Test
    void roundTripsAndSortsDeterministically() {
        CompiledTable t = sample();
        byte[] bytes = t.encode();
        assertEquals(t.encodedSize(), bytes.length);
        CompiledTable back = CompiledTable.decode(bytes);
        assertArrayEquals(bytes, back.encode());
        assertEquals(10, back.contexts().get(0).scid());
        assertTrue(back.contexts().get(0).audit());
        assertEquals(1, back.nodes().get(0).snid());
        assertEquals(7, back.access().get(0).ruleId(Permission.RECEIVE));
    }

    @Test
    void headerIsLaidOutAsDocumented() {
        byte[] bytes = sample().encode();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals('D', bytes[0]);
        assertEquals('T', bytes[3]);
        assertEquals(1, b.getShort(4));
        assertEquals(128, b.getShort(6));
        assertEquals(5L, b.getLong(8));
        assertEquals(0x42, bytes[16]);
        assertEquals(Permission.CONNECT.mask(), b.getInt(52));
        assertEquals(2, b.getInt(56));
        assertEquals(1, b.getInt(64));
        // first access record after 2 contexts and 2 nodes: src, snid ANY, tgt, mask
        int access = 128 + 2 * 8 + 2 * 8;
        assertEquals(10, b.getInt(access));
        assertEquals(-1, b.getInt(access + 4));
        assertEquals(Permission.RECEIVE.mask(), b.getInt(access + 12));
        assertEquals(7, b.getInt(access + 16 + 4 * Permission.RECEIVE.bit()));
        int label = access + 48;
        assertEquals(17, bytes[label]);
        assertEquals(8800, Short.toUnsignedInt(b.getShort(label + 2)));
        int net = label + 16 + 16;
        assertEquals((byte) 192, bytes[net + 4]);
        assertEquals(16, bytes[net + 8]);
    }

    @Test
    void rejectsTruncatedAndForeignBytes() {
        byte[] bytes = sample().encode();
        assertThrows(TableFormatException.class, () -> CompiledTable.decode(java.util.Arrays.copyOf(bytes, bytes.length - 1)));
        byte[] bad = bytes.clone();
        bad[0] = 'X';
        assertThrows(TableFormatException.class, () -> CompiledTable.decode(bad));
        byte[] huge = bytes.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(64, Integer.MAX_VALUE);
        assertThrows(TableFormatException.class, () -> CompiledTable.decode(huge));
        assertThrows(TableFormatException.class, () -> CompiledTable.decode(new byte[3]));
    }
}
