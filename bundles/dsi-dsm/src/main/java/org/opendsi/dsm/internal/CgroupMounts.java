package org.opendsi.dsm.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Finds the cgroup v2 mount point in the text of /proc/self/mounts. */
public final class CgroupMounts {

    /** Hybrid hierarchy (systemd "hybrid" mode): cgroup v1 controllers plus v2 here. */
    public static final String HYBRID = "/sys/fs/cgroup/unified";
    /** Unified hierarchy: v2 only. */
    public static final String UNIFIED = "/sys/fs/cgroup";

    private CgroupMounts() {
    }

    /** All cgroup2 mount points, in the order listed. */
    public static List<String> cgroup2Mounts(String mountsText) {
        List<String> out = new ArrayList<>();
        for (String line : mountsText.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[2].equals("cgroup2")) {
                out.add(unescape(f[1]));
            }
        }
        return out;
    }

    /**
     * The cgroup v2 mount to put the DSI subtree in: /sys/fs/cgroup/unified in hybrid mode,
     * /sys/fs/cgroup when unified, else the first cgroup2 mount listed.
     */
    public static Optional<String> cgroup2Mount(String mountsText) {
        List<String> all = cgroup2Mounts(mountsText);
        if (all.contains(HYBRID)) {
            return Optional.of(HYBRID);
        }
        if (all.contains(UNIFIED)) {
            return Optional.of(UNIFIED);
        }
        return all.stream().findFirst();
    }

    /** Whether a bpffs is mounted exactly at mountPoint. */
    public static boolean bpffsMountedAt(String mountsText, String mountPoint) {
        for (String line : mountsText.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[2].equals("bpf") && unescape(f[1]).equals(mountPoint)) {
                return true;
            }
        }
        return false;
    }

    /** /proc/mounts escapes space, tab, newline and backslash as \ooo octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\\' && isOctal(b, i + 1)) {
                out.write(((b[i + 1] - '0') << 6) | ((b[i + 2] - '0') << 3) | (b[i + 3] - '0'));
                i += 3;
            } else {
                out.write(b[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte[] b, int from) {
        if (from + 3 > b.length) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (b[i] < '0' || b[i] > '7') {
                return false;
            }
        }
        return true;
    }
}
