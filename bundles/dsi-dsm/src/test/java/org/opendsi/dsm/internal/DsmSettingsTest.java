package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DsmSettingsTest {

    @Test
    void defaultsInHybridMode() {
        DsmSettings s = DsmSettings.parse(Map.of(), CgroupMountsTest.HYBRID_MOUNTS);
        assertTrue(s.enabled());
        assertEquals(1, s.snid());
        assertEquals("/sys/fs/cgroup/unified/dsi/node-1", s.cgroupRoot());
        assertFalse(s.cgroupRootExplicit());
        assertEquals("/sys/fs/bpf/dsi/node-1", s.pinDir());
        assertEquals("", s.interfaces());
        assertEquals("", s.netns());
        assertFalse(s.detachOnStop());
        assertEquals(0, s.attachFlags());
    }

    @Test
    void defaultsFollowSnidAndUnifiedMount() {
        DsmSettings s = DsmSettings.parse(Map.of("snid", "42"), CgroupMountsTest.UNIFIED_MOUNTS);
        assertEquals(42, s.snid());
        assertEquals("/sys/fs/cgroup/dsi/node-42", s.cgroupRoot());
        assertEquals("/sys/fs/bpf/dsi/node-42", s.pinDir());
    }

    @Test
    void noCgroup2MountLeavesRootEmpty() {
        DsmSettings s = DsmSettings.parse(Map.of(), "");
        assertEquals("", s.cgroupRoot());
    }

    @Test
    void explicitValuesFromACfgFile() {
        Map<String, Object> p = new HashMap<>();
        p.put("enabled", "true");
        p.put("snid", "7");
        p.put("cgroup.root", "/sys/fs/cgroup/unified/dsi/colby");
        p.put("pin.dir", "/sys/fs/bpf/dsi/colby");
        p.put("interfaces", " eth0, veth-colby ,eth0");
        p.put("netns", "/run/netns/colby");
        p.put("detach.on.stop", "TRUE");
        p.put("exec.watch", "false");
        p.put("label.all.segments", true);
        DsmSettings s = DsmSettings.parse(p, CgroupMountsTest.HYBRID_MOUNTS);
        assertEquals("/sys/fs/cgroup/unified/dsi/colby", s.cgroupRoot());
        assertTrue(s.cgroupRootExplicit());
        assertEquals("/sys/fs/bpf/dsi/colby", s.pinDir());
        assertEquals("eth0,veth-colby", s.interfaces());
        assertEquals("/run/netns/colby", s.netns());
        assertTrue(s.detachOnStop());
        assertEquals(0x3, s.attachFlags());
        // explicit paths do not follow a new SnID; defaulted ones do
        DsmSettings t = s.withSnid(9, CgroupMountsTest.HYBRID_MOUNTS);
        assertEquals(9, t.snid());
        assertEquals(s.cgroupRoot(), t.cgroupRoot());
        DsmSettings d = DsmSettings.parse(Map.of("snid", 3), CgroupMountsTest.HYBRID_MOUNTS)
                .withSnid(4, CgroupMountsTest.HYBRID_MOUNTS);
        assertEquals("/sys/fs/cgroup/unified/dsi/node-4", d.cgroupRoot());
        assertEquals("/sys/fs/bpf/dsi/node-4", d.pinDir());
    }

    @Test
    void typedValues() {
        DsmSettings s = DsmSettings.parse(Map.of("snid", 5L, "enabled", Boolean.FALSE, "interfaces",
                new String[] {"eth0", "eth1"}), CgroupMountsTest.HYBRID_MOUNTS);
        assertEquals(5, s.snid());
        assertFalse(s.enabled());
        assertEquals("eth0,eth1", s.interfaces());
    }

    @Test
    void largeUnsignedSnid() {
        DsmSettings s = DsmSettings.parse(Map.of("snid", "4294967294"), "");
        assertEquals("4294967294", Integer.toUnsignedString(s.snid()));
        assertEquals("/sys/fs/bpf/dsi/node-4294967294", s.pinDir());
    }

    @Test
    void errorsNameTheProperty() {
        String mounts = CgroupMountsTest.HYBRID_MOUNTS;
        assertEquals("snid: SnID 'abc' is not a number", assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("snid", "abc"), mounts)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("snid", "0"), mounts)).getMessage().startsWith("snid: 0 is reserved"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("snid", "4294967295"), mounts)).getMessage().startsWith("snid:"));
        assertEquals("cgroup.root: 'dsi/x' is not an absolute path", assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("cgroup.root", "dsi/x"), mounts)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("pin.dir", "/sys/fs/bpf/../x"), mounts)).getMessage()
                .startsWith("pin.dir:"));
        assertEquals("enabled: 'maybe' is not a boolean (true/false)", assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("enabled", "maybe"), mounts)).getMessage());
        assertEquals("interfaces: 'eth0;rm' is not an interface name", assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("interfaces", "eth0;rm"), mounts)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DsmSettings.parse(Map.of("netns", "colby"), mounts)).getMessage().startsWith("netns:"));
    }

    @Test
    void sameAttachmentIgnoresJavaOnlyFields() {
        String m = CgroupMountsTest.HYBRID_MOUNTS;
        DsmSettings a = DsmSettings.parse(Map.of("snid", "2"), m);
        assertTrue(a.sameAttachment(DsmSettings.parse(Map.of("snid", "2", "detach.on.stop", "true",
                "event.poll.ms", "500"), m)));
        assertFalse(a.sameAttachment(DsmSettings.parse(Map.of("snid", "3"), m)));
        assertFalse(a.sameAttachment(DsmSettings.parse(Map.of("snid", "2", "interfaces", "eth0"), m)));
    }
}
