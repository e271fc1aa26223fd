package org.opendsi.scc;

/** Notified of client connection state changes (on an I/O thread; do not block). */
@FunctionalInterface
public interface SccStateListener {
    /**
     * @param state new state
     * @param cause why the connection was lost or refused ({@code null} when not applicable)
     */
    void onStateChange(SccConnectionState state, Throwable cause);
}
