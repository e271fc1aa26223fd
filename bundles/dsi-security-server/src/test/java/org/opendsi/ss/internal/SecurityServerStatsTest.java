package org.opendsi.ss.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.ss.CompromiseResult;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.StoredAlarm;

class SecurityServerStatsTest {

    /** A stand-in Security Server whose records the test sets. */
    static final class FakeServer implements SecurityServer {
        final List<NodeRecord> nodes = new ArrayList<>();
        final List<StoredAlarm> alarms = new ArrayList<>();
        long policyVersion;
        long joins;
        long compromises;
        int sendEpoch;

        @Override
        public List<NodeRecord> nodes() {
            return List.copyOf(nodes);
        }

        @Override
        public List<StoredAlarm> alarms() {
            return List.copyOf(alarms);
        }

        @Override
        public boolean ackAlarm(String id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String createToken(int snid, String name, Duration ttl, boolean replace) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompromiseResult compromised(int snid) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ServerStatus status() {
            return new ServerStatus("server", "dsi", 1, "127.0.0.1:1", "127.0.0.1:2", "ab", policyVersion, 0,
                    nodes.size(), 0);
        }

        @Override
        public long joinsSinceStart() {
            return joins;
        }

        @Override
        public long compromisesSinceStart() {
            return compromises;
        }

        @Override
        public LabelKeyStatus labelKeys() {
            return new LabelKeyStatus(sendEpoch, List.of(), List.of(), false, false, null);
        }

        @Override
        public CompletableFuture<Integer> rotateLabelKeys() {
            throw new UnsupportedOperationException();
        }

        @Override
        public org.opendsi.ss.PolicyPropagation policyPropagation() {
            return new PropagationRecorder().snapshot();
        }

        @Override
        public List<org.opendsi.ss.NodeChannel> channels() {
            return List.of();
        }

        @Override
        public List<org.opendsi.ss.DenialFlow> denials(java.time.Instant since) {
            return List.of();
        }

        @Override
        public AutoCloseable followDenials(java.util.function.Consumer<List<org.opendsi.ss.DenialFlow>> listener) {
            return () -> { };
        }
    }

    private static NodeRecord node(int snid, NodeState state, long acked) {
        return new NodeRecord(snid, "n" + snid, "10.0.0." + snid, state, acked, null, null, null, Instant.EPOCH);
    }

    private static StoredAlarm alarm(AlarmPriority p, boolean acked) {
        Alarm a = new Alarm("id-" + p + acked, p, 2, "munster", Instant.EPOCH, "test", "text");
        return new StoredAlarm(a, Instant.EPOCH, acked ? Instant.EPOCH : null);
    }

    @Test
    void figuresComeThroughAStandardMBean() throws Exception {
        FakeServer ss = new FakeServer();
        ss.policyVersion = 5;
        ss.nodes.add(node(3, NodeState.CONNECTED, 5));
        ss.nodes.add(node(2, NodeState.CONNECTED, 4));
        ss.nodes.add(node(4, NodeState.DISCONNECTED, 3));
        ss.nodes.add(node(5, NodeState.JOINED, 0));
        ss.nodes.add(node(6, NodeState.COMPROMISED, 2));
        ss.alarms.add(alarm(AlarmPriority.CRITICAL, false));
        ss.alarms.add(alarm(AlarmPriority.HIGH, false));
        ss.alarms.add(alarm(AlarmPriority.HIGH, true));
        ss.alarms.add(alarm(AlarmPriority.LOW, false));
        ss.joins = 4;
        ss.compromises = 1;
        ss.sendEpoch = 2;

        MBeanServer server = MBeanServerFactory.newMBeanServer();
        ObjectName name = new ObjectName(SecurityServerStats.OBJECT_NAME);
        server.registerMBean(new SecurityServerStats(ss), name);

        assertEquals(5L, server.getAttribute(name, "PolicyVersion"));
        assertEquals(0L, server.getAttribute(name, "PolicyPropagationAcks"));
        assertEquals(0, server.getAttribute(name, "SccConnections"));
        assertEquals(0L, server.getAttribute(name, "DenialsLastMinute"));
        assertEquals(5, server.getAttribute(name, "NodesKnown"));
        assertEquals(2, server.getAttribute(name, "NodesConnected"));
        assertEquals(1, server.getAttribute(name, "NodesDisconnected"));
        assertEquals(1, server.getAttribute(name, "NodesJoined"));
        assertEquals(1, server.getAttribute(name, "NodesCompromised"));
        assertEquals(3, server.getAttribute(name, "NodesBehindPolicy"));
        assertArrayEquals(new String[] {"2=4", "3=5", "4=3", "5=0", "6=2"},
                (String[]) server.getAttribute(name, "AckedVersions"));
        assertEquals(3, server.getAttribute(name, "OpenAlarms"));
        assertEquals(1, server.getAttribute(name, "OpenAlarmsCritical"));
        assertEquals(1, server.getAttribute(name, "OpenAlarmsHigh"));
        assertEquals(0, server.getAttribute(name, "OpenAlarmsMedium"));
        assertEquals(1, server.getAttribute(name, "OpenAlarmsLow"));
        assertEquals(4L, server.getAttribute(name, "JoinsSinceStart"));
        assertEquals(1L, server.getAttribute(name, "CompromisesSinceStart"));
        assertEquals(2, server.getAttribute(name, "LabelKeySendEpoch"));

        // live: a node acks, an alarm is acknowledged
        ss.nodes.set(1, node(2, NodeState.CONNECTED, 5));
        ss.alarms.set(0, alarm(AlarmPriority.CRITICAL, true));
        assertEquals(2, server.getAttribute(name, "NodesBehindPolicy"));
        assertEquals(0, server.getAttribute(name, "OpenAlarmsCritical"));
        for (var a : server.getMBeanInfo(name).getAttributes()) {
            assertEquals(false, a.isWritable(), a.getName());
        }
    }
}
