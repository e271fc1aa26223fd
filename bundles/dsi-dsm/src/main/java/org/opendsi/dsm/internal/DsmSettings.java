package org.opendsi.dsm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.opendsi.api.SecurityIds;

/**
 * The configuration of PID {@code org.opendsi.dsm}, parsed and checked, with defaults resolved.
 *
 * @param enabled            {@code enabled} (default true): false = do not touch the kernel, audit-only
 * @param snid               {@code snid} (default 1): this node's SnID, nonzero
 * @param cgroupRoot         {@code cgroup.root} (default &lt;cgroup2 mount&gt;/dsi/node-&lt;snid&gt;); empty when
 *                           no cgroup v2 mount was found and none was configured
 * @param cgroupRootExplicit whether cgroup.root was configured (else it follows snid)
 * @param pinDir             {@code pin.dir} (default /sys/fs/bpf/dsi/node-&lt;snid&gt;)
 * @param pinDirExplicit     whether pin.dir was configured (else it follows snid)
 * @param interfaces         {@code interfaces}: comma-separated, normalized (default empty)
 * @param netns              {@code netns}: path of a network namespace (default empty = Karaf's own)
 * @param detachOnStop       {@code detach.on.stop} (default false: pins are kept so enforcement
 *                           survives restarts and hot swaps)
 * @param libraryPath        {@code library.path} or system property {@value #LIBRARY_PATH_PROPERTY}
 *                           (default empty: from the native fragment)
 * @param bpfObject          {@code bpf.object} or system property {@value #BPF_OBJECT_PROPERTY}
 *                           (default empty: from the native fragment)
 * @param labelAllSegments   {@code label.all.segments} (default false): DSM_F_LABEL_ALL_SEGMENTS
 * @param execWatch          {@code exec.watch} (default true): false = DSM_F_NO_EXEC_WATCH
 * @param pollIntervalMs     {@code event.poll.ms} (default 200): event polling period
 */
public record DsmSettings(boolean enabled, int snid, String cgroupRoot, boolean cgroupRootExplicit, String pinDir,
                          boolean pinDirExplicit, String interfaces, String netns, boolean detachOnStop,
                          String libraryPath, String bpfObject, boolean labelAllSegments, boolean execWatch,
                          int pollIntervalMs) {

    public static final String PID = "org.opendsi.dsm";
    public static final String LIBRARY_PATH_PROPERTY = "org.opendsi.dsm.library.path";
    public static final String BPF_OBJECT_PROPERTY = "org.opendsi.dsm.bpf.object";
    public static final String DEFAULT_PIN_BASE = "/sys/fs/bpf/dsi";

    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");

    /**
     * Parses ConfigAdmin properties (values may be strings, as from etc/*.cfg, or typed).
     *
     * @param mountsText the text of /proc/self/mounts, to find the cgroup v2 mount
     * @throws IllegalArgumentException naming the property and what is wrong with it
     */
    public static DsmSettings parse(Map<String, ?> props, String mountsText) {
        boolean enabled = bool(props, "enabled", true);
        String snidText = str(props, "snid", "1");
        int snid;
        try {
            snid = SecurityIds.parse("SnID", snidText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("snid: " + e.getMessage());
        }
        if (snid == SecurityIds.UNLABELED) {
            throw new IllegalArgumentException("snid: 0 is reserved for unlabeled nodes; use 1.." + SecurityIds.MAX_ID);
        }
        String cgroupRoot = str(props, "cgroup.root", "");
        boolean cgroupExplicit = !cgroupRoot.isEmpty();
        Optional<String> mount = CgroupMounts.cgroup2Mount(mountsText == null ? "" : mountsText);
        if (cgroupExplicit) {
            requireAbsolute("cgroup.root", cgroupRoot);
        } else {
            cgroupRoot = mount.map(m -> defaultCgroupRoot(m, snid)).orElse("");
        }
        String pinDir = str(props, "pin.dir", "");
        boolean pinExplicit = !pinDir.isEmpty();
        if (pinExplicit) {
            requireAbsolute("pin.dir", pinDir);
        } else {
            pinDir = defaultPinDir(snid);
        }
        String interfaces = normalizeInterfaces(str(props, "interfaces", ""));
        String netns = str(props, "netns", "");
        if (!netns.isEmpty()) {
            requireAbsolute("netns", netns);
        }
        boolean detachOnStop = bool(props, "detach.on.stop", false);
        String lib = str(props, "library.path", System.getProperty(LIBRARY_PATH_PROPERTY, ""));
        String obj = str(props, "bpf.object", System.getProperty(BPF_OBJECT_PROPERTY, ""));
        boolean all = bool(props, "label.all.segments", false);
        boolean watch = bool(props, "exec.watch", true);
        int poll = intValue(props, "event.poll.ms", 200, 10, 60_000);
        return new DsmSettings(enabled, snid, cgroupRoot, cgroupExplicit, pinDir, pinExplicit, interfaces, netns,
                detachOnStop, lib.trim(), obj.trim(), all, watch, poll);
    }

    public static String defaultCgroupRoot(String cgroup2Mount, int snid) {
        String base = cgroup2Mount.endsWith("/") ? cgroup2Mount.substring(0, cgroup2Mount.length() - 1) : cgroup2Mount;
        return base + "/dsi/node-" + Integer.toUnsignedString(snid);
    }

    public static String defaultPinDir(int snid) {
        return DEFAULT_PIN_BASE + "/node-" + Integer.toUnsignedString(snid);
    }

    /** The same settings for another SnID: paths that were defaulted follow the new SnID. */
    public DsmSettings withSnid(int newSnid, String mountsText) {
        String cg = cgroupRoot;
        if (!cgroupRootExplicit) {
            cg = CgroupMounts.cgroup2Mount(mountsText == null ? "" : mountsText)
                    .map(m -> defaultCgroupRoot(m, newSnid)).orElse("");
        }
        String pin = pinDirExplicit ? pinDir : defaultPinDir(newSnid);
        return new DsmSettings(enabled, newSnid, cg, cgroupRootExplicit, pin, pinDirExplicit, interfaces, netns,
                detachOnStop, libraryPath, bpfObject, labelAllSegments, execWatch, pollIntervalMs);
    }

    /** dsm_attach_opts.flags for these settings. */
    public int attachFlags() {
        int f = 0;
        if (labelAllSegments) {
            f |= 0x1;
        }
        if (!execWatch) {
            f |= 0x2;
        }
        return f;
    }

    /** Whether two settings need the same kernel attachment (all but the Java-only fields equal). */
    public boolean sameAttachment(DsmSettings o) {
        return o != null && enabled == o.enabled && snid == o.snid && cgroupRoot.equals(o.cgroupRoot)
                && pinDir.equals(o.pinDir) && interfaces.equals(o.interfaces) && netns.equals(o.netns)
                && libraryPath.equals(o.libraryPath) && bpfObject.equals(o.bpfObject)
                && attachFlags() == o.attachFlags();
    }

    static String normalizeInterfaces(String text) {
        List<String> names = new ArrayList<>();
        for (String part : text.split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            if (!IFNAME.matcher(part).matches()) {
                throw new IllegalArgumentException("interfaces: '" + part + "' is not an interface name");
            }
            if (!names.contains(part)) {
                names.add(part);
            }
        }
        return String.join(",", names);
    }

    private static void requireAbsolute(String key, String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(key + ": '" + path + "' is not an absolute path");
        }
        if (path.contains("/../") || path.endsWith("/..")) {
            throw new IllegalArgumentException(key + ": '" + path + "' must not contain '..'");
        }
    }

    private static String str(Map<String, ?> props, String key, String def) {
        Object v = props == null ? null : props.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof String[] arr) {
            return String.join(",", arr).trim();
        }
        return v.toString().trim();
    }

    private static boolean bool(Map<String, ?> props, String key, boolean def) {
        Object v = props == null ? null : props.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            return def;
        }
        if (s.equals("true") || s.equals("yes") || s.equals("on")) {
            return true;
        }
        if (s.equals("false") || s.equals("no") || s.equals("off")) {
            return false;
        }
        throw new IllegalArgumentException(key + ": '" + v + "' is not a boolean (true/false)");
    }

    private static int intValue(Map<String, ?> props, String key, int def, int min, int max) {
        String s = str(props, key, "");
        if (s.isEmpty()) {
            return def;
        }
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) {
                throw new IllegalArgumentException(key + ": " + v + " is out of range " + min + ".." + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not a number");
        }
    }
}
