package org.opendsi.cluster.protocol;

/**
 * SCC topics of the cluster protocol (see the dsi-security-server README); the payload of each is a
 * message of {@link ClusterMessages}.
 */
public final class ClusterTopics {
    /** SS -> SM: a signed policy version, full source or patch ({@link PolicyMessage}). */
    public static final String POLICY = "dsi/policy";
    /** SM -> SS: what the SM did with a policy version ({@link ClusterMessages.PolicyAck}). */
    public static final String POLICY_ACK = "dsi/policy-ack";
    /** SM -> SS request: the full signed current policy (when a patch did not apply). */
    public static final String POLICY_SNAPSHOT = "dsi/policy-snapshot";
    /** SS -> SM: the current root CRL, base64 DER ({@link ClusterMessages.CrlUpdate}). */
    public static final String CRL = "dsi/crl";
    /**
     * SM -> SS request after every (re)connection: who it is and which version it runs
     * ({@link ClusterMessages.Hello}; reply {@link ClusterMessages.HelloReply}).
     */
    public static final String HELLO = "dsi/hello";
    /** SM -> SS request (ALARM lane): one alarm ({@link Json#alarm}); the reply ({@link ClusterMessages.AlarmStored}) means it is stored. */
    public static final String ALARM = "dsi/alarm";
    /** SM -> SS, periodic: node status ({@link ClusterMessages.Status}). */
    public static final String STATUS = "dsi/status";
    /**
     * SM -> SS request: the node's audit journal checkpoint, signed with its channel key
     * ({@link AuditCheckpoints}); the reply carries the anchor the SS keeps for the node.
     */
    public static final String AUDIT_CHECKPOINT = "dsi/audit-checkpoint";
    /** SM -> SS request: certificate renewal (a RenewalRequest; reply {@link ClusterMessages.Renewed}). */
    public static final String RENEW = "dsi/renew";
    /**
     * SS -> SM (ALARM lane): the whole set of label keys the node may hold, for the pairs it belongs to
     * ({@link ClusterMessages.LabelKeySet}); it replaces the set held before.
     */
    public static final String LABEL_KEYS = "dsi/label-keys";
    /** SM -> SS (ALARM lane): what the node holds after a label key set ({@link ClusterMessages.LabelKeysAck}). */
    public static final String LABEL_KEYS_ACK = "dsi/label-keys-ack";

    /**
     * SM -> SS (BULK lane), at most twice a second while the node's auditing journals denials: what it
     * denied, per flow ({@link DenialDigest}), for the Security Server's live view of the cluster.
     */
    public static final String DENIALS = "dsi/denials";

    private ClusterTopics() {
    }
}
