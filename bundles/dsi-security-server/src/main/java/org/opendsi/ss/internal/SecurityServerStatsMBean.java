package org.opendsi.ss.internal;

/**
 * The Security Server's figures over JMX, object name {@code org.opendsi:type=SecurityServer}
 * (read-only; every getter reads the {@link org.opendsi.ss.SecurityServer} service anew).
 */
public interface SecurityServerStatsMBean {

    /** The current (signed, distributed) policy version, 0 when none. */
    long getPolicyVersion();

    /** Nodes on record. */
    int getNodesKnown();

    /** Nodes joined that never connected over the SCC since. */
    int getNodesJoined();

    int getNodesConnected();

    int getNodesDisconnected();

    int getNodesCompromised();

    /** Nodes (not compromised) whose acked policy version is older than {@link #getPolicyVersion()}. */
    int getNodesBehindPolicy();

    /** Per node, the newest policy version it acked: {@code "<snid>=<version>"}, ordered by SnID (0: none yet). */
    String[] getAckedVersions();

    /** Alarms not acknowledged, all priorities. */
    int getOpenAlarms();

    int getOpenAlarmsCritical();

    int getOpenAlarmsHigh();

    int getOpenAlarmsMedium();

    int getOpenAlarmsLow();

    /** Joins accepted since this Security Server started. */
    long getJoinsSinceStart();

    /** Nodes declared compromised since this Security Server started. */
    long getCompromisesSinceStart();

    /** The label key epoch nodes label with, 0 when none yet. */
    int getLabelKeySendEpoch();

    /** Nodes connected over the SCC now. */
    int getSccConnections();

    /** Policy acknowledgements timed since start (command to ack; histogram on /metrics). */
    long getPolicyPropagationAcks();

    /** Mean command-to-ack time of those acknowledgements, seconds (0 when none). */
    double getPolicyPropagationMeanSeconds();

    /** Denials the nodes reported over the last minute. */
    long getDenialsLastMinute();
}
