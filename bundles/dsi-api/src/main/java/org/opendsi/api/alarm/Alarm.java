package org.opendsi.api.alarm;

import java.time.Instant;

/**
 * An alarm raised on a node (by a detector, the DSM, the Security Manager or an operator) and
 * collected by the Security Server.
 *
 * @param id       unique id given by the raising node (the SS de-duplicates re-sent alarms by it)
 * @param priority urgency
 * @param snid     SnID of the node that raised it
 * @param node     that node's name
 * @param time     when it was raised
 * @param source   what raised it ("dsm", "security-manager", "operator", a detector's name)
 * @param text     what happened, in the operator's terms
 */
public record Alarm(String id, AlarmPriority priority, int snid, String node, Instant time, String source,
                    String text) {
}
