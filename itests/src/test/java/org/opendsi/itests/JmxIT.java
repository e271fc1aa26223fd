package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;

import javax.inject.Inject;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.opendsi.dsm.Dsm;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The DSI figures in Karaf's platform MBean server under {@code org.opendsi}, put there by the Aries
 * JMX whiteboard of the {@code management} boot feature. The DSM is disabled in these tests
 * (DsiTestSupport), so the Dsm MBean reports audit-only mode and -1 counters.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class JmxIT extends DsiTestSupport {

    @Inject
    protected Dsm dsm;

    /** Polls up to 10 s: the whiteboard registers MBeans as their services appear. */
    private static void awaitRegistered(MBeanServer server, ObjectName name) throws Exception {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!server.isRegistered(name)) {
            if (System.nanoTime() > end) {
                throw new AssertionError(name + " not registered within 10 s; org.opendsi has: "
                        + server.queryNames(new javax.management.ObjectName("org.opendsi:*"), null));
            }
            Thread.sleep(100);
        }
    }

    @Test
    public void dsiMBeansInThePlatformServer() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName dsmName = new ObjectName("org.opendsi:type=Dsm");
        awaitRegistered(server, dsmName);

        assertEquals(dsm.status().available(), server.getAttribute(dsmName, "Available"));
        assertEquals(false, server.getAttribute(dsmName, "Available"));
        String reason = (String) server.getAttribute(dsmName, "Reason");
        assertTrue(reason, reason.contains("disabled"));
        assertEquals("audit-only", server.getAttribute(dsmName, "Mode"));
        assertEquals(Integer.toUnsignedLong(dsm.nodeId()), server.getAttribute(dsmName, "SnID"));
        assertEquals(-1L, server.getAttribute(dsmName, "PacketsDenied"));
        assertEquals(-1L, server.getAttribute(dsmName, "ForgedLabels"));
        assertEquals(-1, server.getAttribute(dsmName, "LabelKeysHeld"));

        // this node runs the Security Server (role embedded) and the auditing service
        ObjectName ssName = new ObjectName("org.opendsi:type=SecurityServer");
        awaitRegistered(server, ssName);
        assertTrue(server.getAttribute(ssName, "PolicyVersion") instanceof Long);
        assertTrue(server.getAttribute(ssName, "AckedVersions") instanceof String[]);

        ObjectName auditName = new ObjectName("org.opendsi:type=Auditing");
        awaitRegistered(server, auditName);
        assertTrue((Long) server.getAttribute(auditName, "LastSeq") >= 1);
        assertTrue((Long) server.getAttribute(auditName, "Bytes") > 0);
    }
}
