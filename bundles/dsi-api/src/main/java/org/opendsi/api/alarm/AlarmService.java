package org.opendsi.api.alarm;

/**
 * Raises alarms towards the Security Server. On a Security Manager, alarms wait in a bounded
 * queue while the SS is unreachable and are delivered when it is back; on the SS they are stored
 * at once.
 */
public interface AlarmService {
    Alarm raise(AlarmPriority priority, String source, String text);
}
