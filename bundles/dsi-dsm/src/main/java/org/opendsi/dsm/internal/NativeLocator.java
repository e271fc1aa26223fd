package org.opendsi.dsm.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.function.Function;

/**
 * Finds libdsm.so and dsm.bpf.o.
 *
 * <p>In OSGi they come from the fragment dsi-dsm-native-linux-x86_64: libdsm.so through
 * Bundle-NativeCode (the framework extracts it; its path is what the bundle class loader's
 * {@code findLibrary("dsm")} returns), dsm.bpf.o as a plain resource that is copied into this
 * bundle's data area. Outside OSGi (tests, tools) both are given by {@code library.path} /
 * {@code bpf.object} (configuration or system properties {@value DsmSettings#LIBRARY_PATH_PROPERTY},
 * {@value DsmSettings#BPF_OBJECT_PROPERTY}); dsm.bpf.o defaults to the file beside libdsm.so.
 */
public final class NativeLocator {

    public static final String LIBRARY_NAME = "dsm";
    public static final String LIBRARY_FILE = "libdsm.so";
    public static final String BPF_OBJECT_FILE = "dsm.bpf.o";
    public static final String FRAGMENT = "dsi-dsm-native-linux-x86_64";

    /** The outcome: both paths, or the reason one is missing. */
    public record Located(Optional<Path> library, Optional<Path> bpfObject, String problem) {
        public boolean complete() {
            return library.isPresent() && bpfObject.isPresent();
        }
    }

    private NativeLocator() {
    }

    /**
     * @param loader   the bundle class loader (host + fragment), or any class loader outside OSGi
     * @param dataFile the bundle's data area (BundleContext::getDataFile), or null outside OSGi
     */
    public static Located locate(DsmSettings settings, ClassLoader loader, Function<String, File> dataFile) {
        Path lib = null;
        String problem = "";
        String how;
        if (!settings.libraryPath().isEmpty()) {
            Path p = Path.of(settings.libraryPath()).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                return new Located(Optional.empty(), Optional.empty(),
                        "library.path " + p + " does not exist (configured in " + DsmSettings.PID + " or -D"
                                + DsmSettings.LIBRARY_PATH_PROPERTY + ")");
            }
            lib = p;
            how = "library.path";
        } else {
            lib = viaFindLibrary(loader);
            how = "Bundle-NativeCode";
            if (lib == null) {
                try {
                    lib = extract(loader, LIBRARY_FILE, dataFile, "native/" + LIBRARY_FILE);
                } catch (IOException e) {
                    return new Located(Optional.empty(), Optional.empty(),
                            "cannot extract " + LIBRARY_FILE + " from the native fragment: " + e);
                }
                how = "resource";
            }
            if (lib == null) {
                return new Located(Optional.empty(), Optional.empty(),
                        "the native fragment " + FRAGMENT + " is not installed or not resolved (" + LIBRARY_FILE
                                + " not found through Bundle-NativeCode nor as a resource; outside OSGi set -D"
                                + DsmSettings.LIBRARY_PATH_PROPERTY + ")");
            }
        }
        Path obj = null;
        if (!settings.bpfObject().isEmpty()) {
            Path p = Path.of(settings.bpfObject()).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                return new Located(Optional.of(lib), Optional.empty(), "bpf.object " + p + " does not exist");
            }
            obj = p;
        } else {
            try {
                obj = extract(loader, BPF_OBJECT_FILE, dataFile, BPF_OBJECT_FILE);
            } catch (IOException e) {
                return new Located(Optional.of(lib), Optional.empty(),
                        "cannot extract " + BPF_OBJECT_FILE + " from the native fragment: " + e);
            }
            if (obj == null && how.equals("library.path")) {
                Path beside = lib.resolveSibling(BPF_OBJECT_FILE);
                if (Files.isRegularFile(beside)) {
                    obj = beside;
                }
            }
            if (obj == null) {
                problem = "the native fragment " + FRAGMENT + " lacks " + BPF_OBJECT_FILE
                        + (how.equals("library.path") ? " (and there is none beside " + lib + "; set bpf.object)" : "");
                return new Located(Optional.of(lib), Optional.empty(), problem);
            }
        }
        return new Located(Optional.of(lib), Optional.of(obj), "");
    }

    /**
     * The framework's extracted copy of a Bundle-NativeCode library: the (Felix/Equinox) bundle
     * class loader's protected findLibrary, called by reflection.
     */
    static Path viaFindLibrary(ClassLoader loader) {
        if (loader == null) {
            return null;
        }
        for (Class<?> c = loader.getClass(); c != null && c != ClassLoader.class; c = c.getSuperclass()) {
            try {
                Method m = c.getDeclaredMethod("findLibrary", String.class);
                m.setAccessible(true);
                Object r = m.invoke(loader, LIBRARY_NAME);
                if (r instanceof String s && !s.isEmpty() && Files.isRegularFile(Path.of(s))) {
                    return Path.of(s).toAbsolutePath();
                }
                return null;
            } catch (NoSuchMethodException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    /** Copies a class-path resource into the data area (atomically, never over a mapped file). */
    static Path extract(ClassLoader loader, String resource, Function<String, File> dataFile, String target)
            throws IOException {
        if (loader == null) {
            return null;
        }
        URL url = loader.getResource(resource);
        if (url == null) {
            return null;
        }
        {
            Path dest;
            if (dataFile != null && dataFile.apply(target) != null) {
                dest = dataFile.apply(target).toPath().toAbsolutePath();
            } else {
                Path dir = Files.createTempDirectory("dsi-dsm-");
                dir.toFile().deleteOnExit();
                dest = dir.resolve(resource);
            }
            Files.createDirectories(dest.getParent());
            Path tmp = Files.createTempFile(dest.getParent(), resource, ".tmp");
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            if (Files.isRegularFile(dest) && Files.mismatch(dest, tmp) == -1) {
                Files.delete(tmp);
            } else {
                Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return dest;
        }
    }
}
