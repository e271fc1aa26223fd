package org.opendsi.dsm.internal.jmx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmStatus;
import org.opendsi.dsm.internal.UnavailableDsm;

class DsmStatsTest {

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private final ObjectName name = name();

    private static ObjectName name() {
        try {
            return new ObjectName(DsmStats.OBJECT_NAME);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An enforcing DSM of SnID 0xFFFFFFFE whose denial counter the test moves. */
    private static Dsm enforcing(AtomicLong denied, boolean keys) {
        return (Dsm) Proxy.newProxyInstance(Dsm.class.getClassLoader(), new Class<?>[] {Dsm.class}, (p, m, a) -> {
            switch (m.getName()) {
                case "status":
                    return new DsmStatus(true, "", -2, 0, "", "/sys/fs/cgroup/dsi", "/sys/fs/bpf/dsi", "", "", "", "", 7,
                            "");
                case "nodeId":
                    return -2;
                case "counters":
                    return new DsmCounters(7, 1, 2, denied.get(), 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
                case "labelKeys":
                    if (!keys) {
                        throw new DsmException("this DSM does not authenticate labels", DsmException.EOPNOTSUPP);
                    }
                    return new Dsm.LabelKeyState(3, List.of(new Dsm.LabelKeyState.Held(2, 1),
                            new Dsm.LabelKeyState.Held(3, 1), new Dsm.LabelKeyState.Held(3, 2)));
                default:
                    throw new UnsupportedOperationException(m.getName());
            }
        });
    }

    private Object get(String attribute) throws Exception {
        return server.getAttribute(name, attribute);
    }

    @Test
    void countersOfAnEnforcingDsmComeThroughLive() throws Exception {
        AtomicLong denied = new AtomicLong(3);
        server.registerMBean(new DsmStats(enforcing(denied, true)), name);
        assertEquals(true, get("Available"));
        assertEquals("", get("Reason"));
        assertEquals("enforcing", get("Mode"));
        assertEquals(4294967294L, get("SnID"));
        assertEquals(7L, get("TableVersion"));
        assertEquals(3L, get("PacketsDenied"));
        denied.set(42);
        assertEquals(42L, get("PacketsDenied"), "read anew on every call");
        assertEquals(1L, get("PacketsLabeled"));
        assertEquals(5L, get("ForgedLabels"));
        assertEquals(12L, get("LabelsBadMac"));
        assertEquals(19L, get("PortGuardDrops"));
        assertEquals(3, get("LabelKeySendEpoch"));
        assertEquals(3, get("LabelKeysHeld"));
        // one attribute per counter of DsmCounters, plus status and label keys; all read-only
        var info = server.getMBeanInfo(name);
        assertEquals(DsmCounters.class.getRecordComponents().length + 8, info.getAttributes().length);
        for (var attr : info.getAttributes()) {
            assertEquals(false, attr.isWritable(), attr.getName());
        }
        assertEquals(0, info.getOperations().length);
    }

    @Test
    void labelKeysUnsupportedReadMinusOne() throws Exception {
        server.registerMBean(new DsmStats(enforcing(new AtomicLong(), false)), name);
        assertEquals(-1, get("LabelKeySendEpoch"));
        assertEquals(-1, get("LabelKeysHeld"));
    }

    @Test
    void unavailableDsmSaysWhyAndCountersReadMinusOne() throws Exception {
        Dsm dsm = new UnavailableDsm(UnavailableDsm.Reason.DISABLED, "disabled by configuration", null);
        server.registerMBean(new DsmStats(dsm), name);
        assertEquals(false, get("Available"));
        assertEquals("audit-only", get("Mode"));
        assertEquals(dsm.status().reason(), get("Reason"));
        assertEquals(-1L, get("PacketsDenied"));
        assertEquals(-1L, get("ForgedLabels"));
        assertEquals(-1, get("LabelKeysHeld"));
    }

    @Test
    void notInThePlatformServerByItself() {
        // registration there is the JMX whiteboard's job, driven by the service property
        assertEquals(false, ManagementFactory.getPlatformMBeanServer().isRegistered(name));
    }
}
