package org.opendsi.ss.protocol;

/** SCC topics of the cluster protocol (see the dsi-security-server README). */
public final class ClusterTopics {
    /** SS -> SM: a signed policy version, full source or patch. */
    public static final String POLICY = "dsi/policy";
    /** SM -> SS: {version, ok, error}: what the SM did with a policy version. */
    public static final String POLICY_ACK = "dsi/policy-ack";
    /** SM -> SS request: the full signed current policy (when a patch did not apply). */
    public static final String POLICY_SNAPSHOT = "dsi/policy-snapshot";
    /** SS -> SM: the current root CRL (PEM). */
    public static final String CRL = "dsi/crl";
    /** SM -> SS request after every (re)connection: who it is and which version it runs. */
    public static final String HELLO = "dsi/hello";
    /** SM -> SS request (ALARM lane): one alarm; the reply means it is stored. */
    public static final String ALARM = "dsi/alarm";
    /** SM -> SS, periodic: node status. */
    public static final String STATUS = "dsi/status";
    /**
     * SM -> SS request: the node's audit journal checkpoint, signed with its channel key
     * ({@link AuditCheckpoints}); the reply carries the anchor the SS keeps for the node.
     */
    public static final String AUDIT_CHECKPOINT = "dsi/audit-checkpoint";
    /** SM -> SS request: certificate renewal. */
    public static final String RENEW = "dsi/renew";

    private ClusterTopics() {
    }
}
