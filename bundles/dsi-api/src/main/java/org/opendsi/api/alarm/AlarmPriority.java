package org.opendsi.api.alarm;

/** How urgent an alarm is; every alarm travels on the SCC's priority lane whatever its priority. */
public enum AlarmPriority {
    CRITICAL, HIGH, MEDIUM, LOW
}
