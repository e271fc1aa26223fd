package org.opendsi.scc;

import java.util.List;

/**
 * Called after every successful <em>re</em>connection (not the first connection), before the
 * state listeners see {@link SccConnectionState#CONNECTED}.
 * {@code unacknowledged} lists, in publish order, the messages published on the previous connection
 * that the hub never acknowledged (their futures failed with {@link SccException#CLOSED}). The
 * application decides what to resend (e.g. the last policy-version ack, pending alarms).
 */
@FunctionalInterface
public interface SccResumeHandler {
    void onResume(SccClient client, List<SccMessage> unacknowledged);
}
