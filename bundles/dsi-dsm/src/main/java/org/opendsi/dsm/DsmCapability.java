package org.opendsi.dsm;

import java.util.ArrayList;
import java.util.List;

/** Kernel facilities probed by libdsm's dsm_probe (the DSM_CAP_* bits of dsm.h). */
public enum DsmCapability {
    ROOT(0x01, "root (effective uid 0 / CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN)"),
    CGROUP2(0x02, "cgroup v2 mount"),
    BPFFS(0x04, "bpffs mount for pins"),
    CGROUP_BPF(0x08, "cgroup BPF programs"),
    TC_BPF(0x10, "tc clsact BPF programs"),
    RINGBUF(0x20, "BPF ring buffer"),
    FANOTIFY(0x40, "fanotify FAN_OPEN_EXEC_PERM"),
    XATTR(0x80, "trusted.* extended attributes");

    private final int bit;
    private final String description;

    DsmCapability(int bit, String description) {
        this.bit = bit;
        this.description = description;
    }

    public int bit() {
        return bit;
    }

    public String description() {
        return description;
    }

    public static List<DsmCapability> fromMask(int mask) {
        List<DsmCapability> out = new ArrayList<>();
        for (DsmCapability c : values()) {
            if ((mask & c.bit) != 0) {
                out.add(c);
            }
        }
        return out;
    }

    public static int mask(DsmCapability... caps) {
        int m = 0;
        for (DsmCapability c : caps) {
            m |= c.bit;
        }
        return m;
    }
}
