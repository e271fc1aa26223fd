package org.opendsi.dsm.internal.jna;

import java.nio.charset.StandardCharsets;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

import org.opendsi.dsm.DsmEvent;

/** struct dsm_event (dsm.h). */
@Structure.FieldOrder({"time_ns", "policy_version", "type", "permission", "src_scid", "src_snid", "tgt_scid",
        "tgt_snid", "rule_id", "pid", "saddr", "daddr", "sport", "dport", "protocol", "pad", "suppressed", "comm",
        "path"})
public class EventStruct extends Structure {
    public long time_ns;
    public long policy_version;
    public int type;
    public int permission;
    public int src_scid;
    public int src_snid;
    public int tgt_scid;
    public int tgt_snid;
    public int rule_id;
    public int pid;
    public int saddr;
    public int daddr;
    public short sport;
    public short dport;
    public byte protocol;
    public byte[] pad = new byte[3];
    public int suppressed;
    public byte[] comm = new byte[16];
    public byte[] path = new byte[128];

    public EventStruct() {
    }

    public EventStruct(Pointer p) {
        super(p);
    }

    public int offsetOf(String name) {
        return fieldOffset(name);
    }

    /** The Java record; addresses turned from network order in memory into big-endian ints. */
    public DsmEvent toEvent() {
        return new DsmEvent(time_ns, policy_version, type, permission, src_scid, src_snid, tgt_scid, tgt_snid,
                rule_id, pid, networkOrder(saddr), networkOrder(daddr), Short.toUnsignedInt(sport),
                Short.toUnsignedInt(dport), Byte.toUnsignedInt(protocol), Integer.toUnsignedLong(suppressed),
                cString(comm), cString(path), Byte.toUnsignedInt(pad[0]));
    }

    /** The 4 bytes are in network order in memory; JNA read them as a native (little-endian) int. */
    static int networkOrder(int nativeValue) {
        return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                ? Integer.reverseBytes(nativeValue) : nativeValue;
    }

    static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
