package org.opendsi.dsm.internal;

import java.nio.file.Path;
import java.util.List;

import org.opendsi.api.table.CompiledTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmProcess;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.DsmUnavailableException;

/**
 * The DSM of a node whose kernel part cannot run. It says exactly why in {@link #status()} and
 * throws {@link DsmUnavailableException} with that reason from every other operation: it never
 * does nothing silently, so nobody mistakes it for enforcement.
 */
public final class UnavailableDsm implements Dsm {

    /** Why the kernel part is not running. */
    public enum Reason {
        DISABLED,
        CONFIGURATION,
        PLATFORM,
        NOT_ROOT,
        JNA_ABSENT,
        NATIVE_FRAGMENT_ABSENT,
        LIBRARY_LOAD_FAILED,
        KERNEL_FACILITY_MISSING,
        ATTACH_FAILED,
        DETACHED
    }

    private final Reason reason;
    private final String detail;
    private final int snid;
    private final int capabilities;
    private final String probeReport;
    private final DsmSettings settings;
    private final String libraryPath;
    private final String bpfObject;

    public UnavailableDsm(Reason reason, String detail, DsmSettings settings, int snid, int capabilities,
                          String probeReport, String libraryPath, String bpfObject) {
        this.reason = reason;
        this.detail = detail;
        this.settings = settings;
        this.snid = snid;
        this.capabilities = capabilities;
        this.probeReport = probeReport == null ? "" : probeReport;
        this.libraryPath = libraryPath == null ? "" : libraryPath;
        this.bpfObject = bpfObject == null ? "" : bpfObject;
    }

    public UnavailableDsm(Reason reason, String detail, DsmSettings settings) {
        this(reason, detail, settings, settings == null ? 0 : settings.snid(), 0, "", "", "");
    }

    public Reason reason() {
        return reason;
    }

    /** The explanation, without the "unavailable:" prefix. */
    public String detail() {
        return detail;
    }

    private DsmUnavailableException unavailable() {
        return new DsmUnavailableException(detail);
    }

    @Override
    public DsmStatus status() {
        return new DsmStatus(false, detail, snid, capabilities, probeReport,
                settings == null ? "" : settings.cgroupRoot(), settings == null ? "" : settings.pinDir(),
                settings == null ? "" : settings.interfaces(), settings == null ? "" : settings.netns(),
                libraryPath, bpfObject, 0, "");
    }

    @Override
    public int nodeId() {
        return snid;
    }

    @Override
    public int capabilities() {
        return capabilities;
    }

    @Override
    public List<String> describe() {
        throw unavailable();
    }

    @Override
    public long tableVersion() {
        throw unavailable();
    }

    @Override
    public DsmCounters counters() {
        throw unavailable();
    }

    @Override
    public void createContext(int scid) {
        throw unavailable();
    }

    @Override
    public void removeContext(int scid) {
        throw unavailable();
    }

    @Override
    public void movePid(int pid, int scid) {
        throw unavailable();
    }

    @Override
    public int contextOf(int pid) {
        throw unavailable();
    }

    @Override
    public java.util.Optional<UnixPeer> unixPeer(int fd) {
        throw unavailable();
    }

    @Override
    public java.util.OptionalInt socketContext(java.net.InetSocketAddress local, java.net.InetSocketAddress remote) {
        throw unavailable();
    }

    @Override
    public void installLabelKeys(int sendEpoch, List<LabelKey> keys) {
        throw unavailable();
    }

    @Override
    public LabelKeyState labelKeys() {
        throw unavailable();
    }

    @Override
    public int labelBinary(Path path, int scid) {
        throw unavailable();
    }

    @Override
    public int readLabel(Path path) {
        throw unavailable();
    }

    @Override
    public void loadTable(CompiledTable table) {
        throw unavailable();
    }

    @Override
    public List<DsmProcess> processes() {
        throw unavailable();
    }

    @Override
    public void setNodeId(int snid) {
        throw unavailable();
    }

    @Override
    public void detach() {
        throw unavailable();
    }

    @Override
    public String toString() {
        return "UnavailableDsm[" + reason + ": " + detail + "]";
    }
}
