package org.opendsi.ss;

import java.time.Instant;

import org.opendsi.api.alarm.Alarm;

/**
 * An alarm as stored by the Security Server.
 *
 * @param alarm      the alarm as raised on its node
 * @param receivedAt when the Security Server stored it
 * @param ackedAt    when an operator acknowledged it, null while open
 */
public record StoredAlarm(Alarm alarm, Instant receivedAt, Instant ackedAt) {

    public boolean acked() {
        return ackedAt != null;
    }

    public StoredAlarm ack(Instant at) {
        return new StoredAlarm(alarm, receivedAt, at);
    }
}
