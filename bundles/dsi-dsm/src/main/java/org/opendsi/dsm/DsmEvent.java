package org.opendsi.dsm;

import java.time.Instant;

import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;

/**
 * One audit event of the kernel DSM (struct dsm_event of dsm.h).
 *
 * @param timeNanos     CLOCK_REALTIME in nanoseconds
 * @param policyVersion version of the table that decided
 * @param type          DSM_EV_* code, see {@link Type}
 * @param permission    permission bit (TABLE-FORMAT.md), see {@link #permissionName()}
 * @param srcScid       subject ScID
 * @param srcSnid       subject SnID
 * @param tgtScid       target ScID
 * @param tgtSnid       target SnID
 * @param ruleId        deciding rule, 0 = the policy default
 * @param pid           process concerned, 0 when unknown (e.g. ingress)
 * @param saddr         source IPv4 address as a big-endian int (10.0.0.1 = 0x0A000001), 0 for exec events
 * @param daddr         destination IPv4 address, same encoding
 * @param sport         source port
 * @param dport         destination port
 * @param protocol      6 TCP, 17 UDP, 0 for exec events
 * @param suppressed    events of this flow dropped by the rate limiter before this one
 * @param comm          command name
 * @param path          binary path for exec events, else empty
 */
public record DsmEvent(long timeNanos, long policyVersion, int type, int permission, int srcScid, int srcSnid,
                       int tgtScid, int tgtSnid, int ruleId, int pid, int saddr, int daddr, int sport, int dport,
                       int protocol, long suppressed, String comm, String path) {

    /** The DSM_EV_* codes. */
    public enum Type {
        DENY(1), AUDIT_DENY(2), FORGED_LABEL(3), TRANSITION(4), EXEC_DENIED(5), UNKNOWN(-1);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return UNKNOWN;
        }
    }

    public Type kind() {
        return Type.of(type);
    }

    public Instant time() {
        return Instant.ofEpochSecond(0, timeNanos);
    }

    /** The permission's DSP name, or "bit N" for a reserved bit. */
    public String permissionName() {
        try {
            return Permission.ofBit(permission).xmlName();
        } catch (IllegalArgumentException e) {
            return "bit " + permission;
        }
    }

    public static String ipv4(int address) {
        return ((address >>> 24) & 255) + "." + ((address >>> 16) & 255) + "." + ((address >>> 8) & 255) + "."
                + (address & 255);
    }

    /** A one-line description for logs. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(kind()).append(' ').append(permissionName()).append(' ')
                .append(SecurityIds.format(srcScid)).append('@').append(SecurityIds.format(srcSnid)).append(" -> ")
                .append(SecurityIds.format(tgtScid)).append('@').append(SecurityIds.format(tgtSnid))
                .append(" rule=").append(Integer.toUnsignedString(ruleId))
                .append(" policy=").append(policyVersion);
        if (pid != 0) {
            sb.append(" pid=").append(pid);
        }
        if (!comm.isEmpty()) {
            sb.append(" comm=").append(comm);
        }
        if (protocol != 0) {
            sb.append(" proto=").append(protocol == 6 ? "tcp" : protocol == 17 ? "udp" : String.valueOf(protocol))
                    .append(' ').append(ipv4(saddr)).append(':').append(sport)
                    .append(" -> ").append(ipv4(daddr)).append(':').append(dport);
        }
        if (!path.isEmpty()) {
            sb.append(" path=").append(path);
        }
        if (suppressed != 0) {
            sb.append(" (+").append(suppressed).append(" suppressed)");
        }
        return sb.toString();
    }
}
