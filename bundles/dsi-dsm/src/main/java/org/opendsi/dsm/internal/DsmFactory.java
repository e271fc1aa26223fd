package org.opendsi.dsm.internal;

import java.io.File;
import java.util.function.Consumer;
import java.util.function.Function;

import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.internal.UnavailableDsm.Reason;

/**
 * Decides which Dsm a node gets: the Linux implementation when every precondition holds, else an
 * {@link UnavailableDsm} naming the first one that does not. The checks that need no native code
 * run here, so that this class never touches JNA (which is an optional import).
 */
public final class DsmFactory {

    private DsmFactory() {
    }

    /**
     * @param loader   class loader to find the native fragment's files with (the bundle's)
     * @param dataFile the bundle's data area, null outside OSGi
     */
    public static Dsm open(DsmSettings settings, Platform platform, ClassLoader loader,
                           Function<String, File> dataFile, NodeIdStore store, Consumer<DsmEvent> events) {
        if (!settings.enabled()) {
            return new UnavailableDsm(Reason.DISABLED, "disabled by configuration (enabled=false in "
                    + DsmSettings.PID + ")", settings);
        }
        if (!platform.linux() || !platform.x86_64()) {
            return new UnavailableDsm(Reason.PLATFORM, "not Linux/x86_64 (os.name=" + platform.osName() + ", os.arch="
                    + platform.osArch() + "); the kernel DSM exists only for Linux on x86_64", settings);
        }
        if (platform.euid() > 0) {
            return new UnavailableDsm(Reason.NOT_ROOT, "not running as root (effective uid " + platform.euid()
                    + "); loading BPF programs, pinning them and labeling binaries need root", settings);
        }
        try {
            Class.forName("com.sun.jna.Native", false, DsmFactory.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return new UnavailableDsm(Reason.JNA_ABSENT, "JNA (bundle com.sun.jna, mvn:net.java.dev.jna/jna) is not"
                    + " installed or not wired to dsi-dsm: " + e, settings);
        }
        NativeLocator.Located located = NativeLocator.locate(settings, loader, dataFile);
        if (!located.complete()) {
            return new UnavailableDsm(Reason.NATIVE_FRAGMENT_ABSENT, located.problem(), settings);
        }
        return org.opendsi.dsm.internal.linux.LinuxDsm.open(settings, platform, located.library().get(),
                located.bpfObject().get(), store, events);
    }
}
