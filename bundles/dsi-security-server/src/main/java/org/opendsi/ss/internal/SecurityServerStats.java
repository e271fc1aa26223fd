package org.opendsi.ss.internal;

import java.util.Comparator;
import java.util.List;

import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.SecurityServer;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Registers {@link SecurityServerStatsMBean} as {@code org.opendsi:type=SecurityServer}: Karaf's JMX
 * whiteboard (feature {@code management}) puts every service with a {@code jmx.objectname} property
 * into the platform MBean server. Present only while a {@link SecurityServer} is registered, i.e. on
 * nodes whose role runs it.
 */
@Component(service = SecurityServerStatsMBean.class, property = "jmx.objectname=" + SecurityServerStats.OBJECT_NAME)
public class SecurityServerStats implements SecurityServerStatsMBean {

    public static final String OBJECT_NAME = "org.opendsi:type=SecurityServer";

    @Reference
    private SecurityServer server;

    public SecurityServerStats() {
        // for DS
    }

    SecurityServerStats(SecurityServer server) {
        this.server = server;
    }

    @Override
    public int getSccConnections() {
        return server.channels().size();
    }

    @Override
    public long getPolicyPropagationAcks() {
        return server.policyPropagation().count();
    }

    @Override
    public double getPolicyPropagationMeanSeconds() {
        org.opendsi.ss.PolicyPropagation p = server.policyPropagation();
        return p.count() == 0 ? 0 : p.sumSeconds() / p.count();
    }

    @Override
    public long getDenialsLastMinute() {
        return server.denials(java.time.Instant.now().minusSeconds(60)).stream()
                .mapToLong(org.opendsi.ss.DenialFlow::count).sum();
    }

    @Override
    public long getPolicyVersion() {
        return server.status().policyVersion();
    }

    @Override
    public int getNodesKnown() {
        return server.nodes().size();
    }

    @Override
    public int getNodesJoined() {
        return inState(NodeState.JOINED);
    }

    @Override
    public int getNodesConnected() {
        return inState(NodeState.CONNECTED);
    }

    @Override
    public int getNodesDisconnected() {
        return inState(NodeState.DISCONNECTED);
    }

    @Override
    public int getNodesCompromised() {
        return inState(NodeState.COMPROMISED);
    }

    private int inState(NodeState s) {
        return (int) server.nodes().stream().filter(n -> n.state() == s).count();
    }

    @Override
    public int getNodesBehindPolicy() {
        long current = getPolicyVersion();
        return (int) server.nodes().stream()
                .filter(n -> n.state() != NodeState.COMPROMISED && n.ackedVersion() < current).count();
    }

    @Override
    public String[] getAckedVersions() {
        List<NodeRecord> nodes = server.nodes();
        return nodes.stream().sorted(Comparator.comparingLong(n -> Integer.toUnsignedLong(n.snid())))
                .map(n -> Integer.toUnsignedString(n.snid()) + "=" + n.ackedVersion()).toArray(String[]::new);
    }

    @Override
    public int getOpenAlarms() {
        return (int) server.alarms().stream().filter(a -> !a.acked()).count();
    }

    @Override
    public int getOpenAlarmsCritical() {
        return open(AlarmPriority.CRITICAL);
    }

    @Override
    public int getOpenAlarmsHigh() {
        return open(AlarmPriority.HIGH);
    }

    @Override
    public int getOpenAlarmsMedium() {
        return open(AlarmPriority.MEDIUM);
    }

    @Override
    public int getOpenAlarmsLow() {
        return open(AlarmPriority.LOW);
    }

    private int open(AlarmPriority p) {
        return (int) server.alarms().stream().filter(a -> !a.acked() && a.alarm().priority() == p).count();
    }

    @Override
    public long getJoinsSinceStart() {
        return server.joinsSinceStart();
    }

    @Override
    public long getCompromisesSinceStart() {
        return server.compromisesSinceStart();
    }

    @Override
    public int getLabelKeySendEpoch() {
        return server.labelKeys().sendEpoch();
    }
}
