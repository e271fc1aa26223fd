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
 * @param reason        dsm_event.pad[0]: DSM_EXEC_R_* for exec denials, DSM_FORGED_R_* for forged labels
 */
public record DsmEvent(long timeNanos, long policyVersion, int type, int permission, int srcScid, int srcSnid,
                       int tgtScid, int tgtSnid, int ruleId, int pid, int saddr, int daddr, int sport, int dport,
                       int protocol, long suppressed, String comm, String path, int reason) {

    /** An event without an exec reason (every type but {@link Type#EXEC_DENIED}). */
    public DsmEvent(long timeNanos, long policyVersion, int type, int permission, int srcScid, int srcSnid,
                    int tgtScid, int tgtSnid, int ruleId, int pid, int saddr, int daddr, int sport, int dport,
                    int protocol, long suppressed, String comm, String path) {
        this(timeNanos, policyVersion, type, permission, srcScid, srcSnid, tgtScid, tgtSnid, ruleId, pid, saddr, daddr,
                sport, dport, protocol, suppressed, comm, path, 0);
    }

    /** DSM_EXEC_R_* of an exec denial (0 for other types). */
    public int execReason() {
        return kind() == Type.EXEC_DENIED ? reason : 0;
    }

    /**
     * Why a label was refused as forged (DSM_FORGED_R_* of dsm.h), in words; empty for other
     * event types.
     */
    public String forgedReasonText() {
        if (kind() != Type.FORGED_LABEL) {
            return "";
        }
        return switch (reason) {
            case 1 -> "its SnID is not the node that sends from this address";
            case 2 -> "it arrived on an interface that carries no cluster traffic";
            case 3 -> "its MAC does not verify";
            case 4 -> "no key is held for its epoch and node";
            case 5 -> "it is not a version 2 label";
            case 6 -> "the DSM did not write it: dropped where it was sent";
            default -> "";
        };
    }

    /** Why a packet was denied other than by a policy rule, in words; empty otherwise. */
    public String denyReasonText() {
        return kind() == Type.DENY && reason == 1
                ? "the port is labeled and its socket is outside every context: the port is reserved for its context" : "";
    }

    /**
     * Why an exec was refused or its process killed in the exec gate (DSM_EXEC_R_* of dsm.h), in
     * words; empty for 0 (no transition rule allowed it) and for other event types.
     */
    public String execReasonText() {
        if (kind() != Type.EXEC_DENIED) {
            return "";
        }
        return switch (reason) {
            case 0 -> "";
            case 1 -> "the process was being traced";
            case 2 -> "its environment held a loader or libc injection variable (LD_*, MALLOC_*, GCONV_PATH, ...)";
            case 3 -> "the exec failed after it was allowed, or the new image was not the labeled binary's fresh state";
            case 4 -> "it did not reach the exec gate in time";
            case 5 -> "it was found in an exec gate when the DSM's watcher started";
            case 6 -> "its new image could be ptraced by its user (non-dumpable images only)";
            case 7 -> "the exec gate could not be used";
            default -> "reason " + reason;
        };
    }

    /** Whether the process was killed in the exec gate (before its first instruction) rather than its exec refused. */
    public boolean killedInGate() {
        return kind() == Type.EXEC_DENIED && reason >= 2 && reason != 7;
    }

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
