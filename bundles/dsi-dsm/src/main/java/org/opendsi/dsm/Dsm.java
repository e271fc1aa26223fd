package org.opendsi.dsm;

import java.nio.file.Path;
import java.util.List;

import org.opendsi.api.table.CompiledTable;

/**
 * The kernel DSM of this node (libdsm + its eBPF programs), registered as an OSGi service by
 * dsi-dsm. Exactly one is registered per node; when the kernel part cannot run (wrong platform,
 * not root, native fragment absent, library load failure, missing kernel facility, disabled by
 * configuration) the registered service is an "unavailable" DSM: {@link #status()} says why, and
 * every other operation throws {@link DsmUnavailableException} with that reason. It never
 * pretends to enforce.
 *
 * <p>Ids (ScID, SnID) are unsigned 32-bit values carried in ints, as in {@code org.opendsi.api}.
 * Failures of the kernel part throw {@link DsmException} with libdsm's explanation.
 */
public interface Dsm {

    /** Availability, reason when unavailable, SnID, paths, capabilities, table version. Never throws. */
    DsmStatus status();

    /** Shorthand for {@code status().available()}. */
    default boolean isAvailable() {
        return status().available();
    }

    /** This node's SnID (from configuration, also when unavailable). */
    int nodeId();

    /** The kernel facilities found by dsm_probe (DSM_CAP_* bits); see {@link DsmCapability}. */
    int capabilities();

    /** Attached programs and pins, one line each, as described by libdsm. */
    List<String> describe();

    /** Version of the policy table in force in the kernel, 0 = none. */
    long tableVersion();

    /** Packet, exec and event counters of the kernel part. */
    DsmCounters counters();

    /** Creates the security context (its cgroup) for scid; no-op when it exists. */
    void createContext(int scid);

    /** Removes the context; fails (EBUSY) while processes remain in it. */
    void removeContext(int scid);

    /** Moves a process into the context scid (creating the context when needed is the caller's job). */
    void movePid(int pid, int scid);

    /** The ScID of a process: 0 when it is outside the node's DSI subtree (unlabeled). */
    int contextOf(int pid);

    /**
     * Who connected a local stream socket: the context and pid the kernel recorded when the peer of
     * the accepted AF_UNIX socket {@code fd} called {@code connect()} (a pid's context can change
     * afterwards, by an exec transition; this cannot). Empty when there is no record: the peer
     * connected from outside every context, from another network namespace, or its record was
     * evicted (16,384 most recent connects are kept).
     *
     * @throws DsmException when the kernel cannot record connects (Linux older than 6.7) or the DSM
     *                      is unavailable
     */
    default java.util.Optional<UnixPeer> unixPeer(int fd) {
        throw new DsmException("this DSM cannot tell who connected a local socket", DsmException.EOPNOTSUPP);
    }

    /**
     * The context of the local TCP socket with this address pair (its local address, then its
     * remote one): the context of the cgroup the socket was created in, which is the one its packets
     * are labeled with, whatever its owning process has exec'd into since. 0: outside every context.
     * Empty when there is no such socket in this network namespace.
     *
     * @throws DsmException when the kernel or the DSM cannot tell
     */
    default java.util.OptionalInt socketContext(java.net.InetSocketAddress local, java.net.InetSocketAddress remote) {
        throw new DsmException("this DSM cannot tell the context of a socket", DsmException.EOPNOTSUPP);
    }

    /**
     * Replaces the label keys the kernel MACs and checks labels with (wire format v2,
     * kernel/dsm/README.md): {@code keys} is the whole set this node may hold, one 128-bit key per
     * (epoch, peer SnID) pair, its own SnID included (labels looped back on this node); labels are
     * written with the keys of {@code sendEpoch} and accepted under any epoch held. Keys absent
     * from {@code keys} are removed, so withholding a peer's key makes its labels fail here. Key
     * bytes never leave the kernel again ({@link #labelKeys()} shows epochs and peers only).
     *
     * @throws DsmException when the kernel refuses, or the DSM is unavailable
     */
    default void installLabelKeys(int sendEpoch, List<LabelKey> keys) {
        throw new DsmException("this DSM does not authenticate labels", DsmException.EOPNOTSUPP);
    }

    /** The label keys held: the send epoch and the (epoch, peer) pairs, without key bytes. */
    default LabelKeyState labelKeys() {
        throw new DsmException("this DSM does not authenticate labels", DsmException.EOPNOTSUPP);
    }

    /**
     * How installing a key set into a node's DSM went, for the acknowledgement to the Security
     * Server: {@code why} is null when the keys are in the kernel; {@code checksNone} says that this
     * DSM checks no label (none bound, unavailable, no label authentication), so a rotation need not
     * wait for it.
     */
    record LabelKeyInstall(boolean inKernel, boolean checksNone, String why) {
    }

    /** Installs the key set into {@code dsm} (which may be null: no DSM on this node) and says how it went. */
    static LabelKeyInstall installLabelKeys(Dsm dsm, int sendEpoch, List<LabelKey> keys) {
        if (dsm == null) {
            return new LabelKeyInstall(false, true, "no DSM on this node");
        }
        if (!dsm.isAvailable()) {
            return new LabelKeyInstall(false, true,
                    "DSM unavailable: " + dsm.status().reason() + " (node runs in audit-only mode)");
        }
        try {
            dsm.installLabelKeys(sendEpoch, keys);
            return new LabelKeyInstall(true, false, null);
        } catch (DsmException e) {
            boolean checksNone = e.unsupported() || e instanceof DsmUnavailableException;
            return new LabelKeyInstall(false, checksNone, (checksNone ? "" : "the DSM refused them: ") + e.getMessage());
        } catch (RuntimeException e) {
            return new LabelKeyInstall(false, false, "the DSM failed: " + e);
        }
    }

    /** One label key: epoch (only its low 8 bits travel), the peer's SnID, 16 key bytes. */
    record LabelKey(int epoch, int peerSnid, byte[] key) {
        public LabelKey {
            if (key == null || key.length != 16) {
                throw new IllegalArgumentException("a label key has 16 bytes");
            }
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public String toString() {   // never the key bytes
            return "LabelKey[epoch=" + epoch + ", peer=" + Integer.toUnsignedString(peerSnid) + "]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LabelKey k && k.epoch == epoch && k.peerSnid == peerSnid
                    && java.security.MessageDigest.isEqual(k.key, key);
        }

        @Override
        public int hashCode() {
            return 31 * epoch + peerSnid;
        }
    }

    /** What {@link #labelKeys()} shows: send epoch (0 = none installed) and the pairs held. */
    record LabelKeyState(int sendEpoch, List<Held> held) {
        public record Held(int epoch, int peerSnid) {
        }
    }

    /** The context and pid of the process that connected a local socket, as recorded at connect(). */
    record UnixPeer(int scid, int pid) {
    }

    /**
     * Labels a binary (SetSID): stores scid in its {@code trusted.dsi.scid} attribute and watches
     * it for exec transitions; scid 0 removes the label.
     *
     * @return the previous label, 0 when it had none
     */
    int labelBinary(Path path, int scid);

    /** The label of a binary, 0 when unlabeled. */
    int readLabel(Path path);

    /** Loads a compiled policy table into the kernel atomically (table swap). */
    void loadTable(CompiledTable table);

    /** Processes inside the node's security contexts (walks the context cgroups). */
    List<DsmProcess> processes();

    /**
     * Changes the node's SnID: persists it in the configuration (PID {@code org.opendsi.dsm}) and
     * re-attaches the kernel part with it (contexts and their processes are carried over, the
     * last policy table is reloaded).
     */
    void setNodeId(int snid);

    /** Stops enforcing: detaches programs, removes pins and empty context cgroups. */
    void detach();
}
