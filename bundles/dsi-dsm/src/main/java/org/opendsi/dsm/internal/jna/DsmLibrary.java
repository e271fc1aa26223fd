package org.opendsi.dsm.internal.jna;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The C API of libdsm (kernel/dsm/include/dsm.h), bound through JNA. Functions return 0 or a
 * positive count on success and a negative errno on failure; {@link #dsm_last_error()} explains
 * the last failure of the calling thread.
 */
public interface DsmLibrary extends Library {

    int DSM_API_VERSION = 1;

    int DSM_F_LABEL_ALL_SEGMENTS = 0x1;
    int DSM_F_NO_EXEC_WATCH = 0x2;

    int dsm_probe(byte[] why, SizeT whyLen);

    int dsm_attach(AttachOpts opts, PointerByReference out);

    void dsm_close(Pointer node);

    int dsm_detach(Pointer node);

    int dsm_context_create(Pointer node, int scid);

    int dsm_context_remove(Pointer node, int scid);

    int dsm_move_pid(Pointer node, int pid, int scid);

    int dsm_pid_context(Pointer node, int pid, IntByReference scid);

    int dsm_unix_peer_context(Pointer node, int fd, IntByReference scid, IntByReference pid);

    int dsm_inet_socket_context(Pointer node, int family, byte[] laddr, short lport, byte[] raddr, short rport,
            IntByReference scid);

    int dsm_label_binary(Pointer nodeOrNull, String path, int scid);

    int dsm_read_label(String path, IntByReference scid);

    int dsm_watch_binary(Pointer node, String path);

    int dsm_load_table(Pointer node, byte[] table, SizeT len);

    /** keys: count packed struct dsm_label_key (epoch, peer_snid: native-endian u32; key: 16 bytes). */
    int dsm_label_keys_replace(Pointer node, byte[] keys, int count, int sendEpoch);

    /** out: room for max packed struct dsm_label_key (24 bytes each). */
    int dsm_label_keys_list(Pointer node, byte[] out, int max, IntByReference sendEpoch);

    /** out: the first element of an array made with {@code new EventStruct().toArray(max)}. */
    int dsm_poll_events(Pointer node, EventStruct out, int max, int timeoutMs);

    int dsm_counters(Pointer node, CountersStruct out);

    int dsm_describe(Pointer node, byte[] buf, SizeT len);

    String dsm_last_error();

    /** Loads libdsm from an absolute path (dlopen), bypassing JNA's own search. */
    static DsmLibrary load(String absolutePath) {
        return Native.load(absolutePath, DsmLibrary.class);
    }
}
