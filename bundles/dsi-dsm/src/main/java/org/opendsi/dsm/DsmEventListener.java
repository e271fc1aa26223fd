package org.opendsi.dsm;

/**
 * Whiteboard: every service registered under this interface receives each audit event of the
 * kernel DSM (denials, audit-mode denials, forged labels, exec transitions and denied execs), on
 * dsi-dsm's event thread. Implementations must return quickly and must not throw.
 */
@FunctionalInterface
public interface DsmEventListener {
    void dsmEvent(DsmEvent event);
}
