package org.opendsi.sm;

/**
 * This node's Security Manager (role {@code manager}): joins the cluster, enforces the signed policy
 * of the Security Server, reports alarms and status to it.
 */
public interface SecurityManagerService {

    ManagerStatus status();

    /**
     * Joins the Security Server whose join endpoint is {@code host:port} with a token printed by
     * {@code dsi:token-create}, stores the credentials and connects. Returns a one-line summary.
     *
     * @throws Exception with a clear message when the token is refused (used, expired, unknown) or the
     *                   server is not the one the token names
     */
    String join(String host, int port, String token) throws Exception;

    /** The label keys last received from the Security Server and whether the kernel holds them. */
    ManagerLabelKeys labelKeys();
}
