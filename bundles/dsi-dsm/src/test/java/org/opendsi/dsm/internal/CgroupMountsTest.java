package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class CgroupMountsTest {

    static final String HYBRID_MOUNTS = """
            sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
            proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
            tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
            cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
            cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
            cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
            """;

    static final String UNIFIED_MOUNTS = """
            /dev/vda / ext4 rw,relatime 0 0
            cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
            bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0
            """;

    @Test
    void hybridModeUsesUnified() {
        assertEquals(Optional.of("/sys/fs/cgroup/unified"), CgroupMounts.cgroup2Mount(HYBRID_MOUNTS));
    }

    @Test
    void unifiedModeUsesSysFsCgroup() {
        assertEquals(Optional.of("/sys/fs/cgroup"), CgroupMounts.cgroup2Mount(UNIFIED_MOUNTS));
    }

    @Test
    void otherMountPointAndEscapes() {
        String m = "none /mnt/my\\040cgroups cgroup2 rw 0 0\nnone /other cgroup2 rw 0 0\n";
        assertEquals(List.of("/mnt/my cgroups", "/other"), CgroupMounts.cgroup2Mounts(m));
        assertEquals(Optional.of("/mnt/my cgroups"), CgroupMounts.cgroup2Mount(m));
    }

    @Test
    void bothPresentPrefersHybridLocation() {
        String m = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
        assertEquals(Optional.of("/sys/fs/cgroup/unified"), CgroupMounts.cgroup2Mount(m));
    }

    @Test
    void v1OnlyHasNone() {
        String m = "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n";
        assertEquals(Optional.empty(), CgroupMounts.cgroup2Mount(m));
        assertEquals(Optional.empty(), CgroupMounts.cgroup2Mount(""));
    }

    @Test
    void bpffs() {
        assertTrue(CgroupMounts.bpffsMountedAt(UNIFIED_MOUNTS, "/sys/fs/bpf"));
        assertFalse(CgroupMounts.bpffsMountedAt(HYBRID_MOUNTS, "/sys/fs/bpf"));
    }
}
