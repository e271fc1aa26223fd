package org.opendsi.scc;

/** Life cycle of a client's connection to the hub. */
public enum SccConnectionState {
    /** A TCP/TLS/HELLO attempt is under way. */
    CONNECTING,
    /** HELLO exchanged; messages flow. */
    CONNECTED,
    /** Lost or refused; a reconnect is scheduled with back-off. */
    DISCONNECTED,
    /** {@link SccClient#close()} was called; terminal. */
    CLOSED
}
