package org.opendsi.keys;

import java.util.Objects;
import java.util.regex.Pattern;

import org.opendsi.api.SecurityIds;

/**
 * A DSI SPIFFE-style id, one of
 * <ul>
 * <li>{@code spiffe://<cluster>/ss} — the Security Server ({@link Kind#SERVER});</li>
 * <li>{@code spiffe://<cluster>/node/<snid>} — a node: its CA and channel certificates ({@link Kind#NODE});</li>
 * <li>{@code spiffe://<cluster>/node/<snid>/scid/<scid>} — a process of context ScID on that node ({@link Kind#PROCESS}).</li>
 * </ul>
 * SnID and ScID are unsigned 32-bit values carried as Java ints (see {@link SecurityIds}); they are
 * written in decimal. {@code snid} is 0 for {@link Kind#SERVER}, {@code scid} is 0 unless {@link Kind#PROCESS}.
 */
public final class SpiffeId {

    public enum Kind { SERVER, NODE, PROCESS }

    /** Trust domain rule of the SPIFFE spec: lowercase letters, digits, '.', '-', '_'. */
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");

    private final String cluster;
    private final Kind kind;
    private final int snid;
    private final int scid;

    private SpiffeId(String cluster, Kind kind, int snid, int scid) {
        this.cluster = checkCluster(cluster);
        this.kind = kind;
        this.snid = snid;
        this.scid = scid;
    }

    public static SpiffeId server(String cluster) {
        return new SpiffeId(cluster, Kind.SERVER, 0, 0);
    }

    public static SpiffeId node(String cluster, int snid) {
        checkSnid(snid);
        return new SpiffeId(cluster, Kind.NODE, snid, 0);
    }

    public static SpiffeId process(String cluster, int snid, int scid) {
        checkSnid(snid);
        if (scid == SecurityIds.ANY) {
            throw new IllegalArgumentException("ScID " + Integer.toUnsignedString(scid) + " is reserved");
        }
        return new SpiffeId(cluster, Kind.PROCESS, snid, scid);
    }

    /** Checks a cluster name against the SPIFFE trust-domain rule and returns it. */
    public static String checkCluster(String cluster) {
        if (cluster == null || !TRUST_DOMAIN.matcher(cluster).matches()) {
            throw new IllegalArgumentException("cluster name '" + cluster
                    + "' is not a valid SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')");
        }
        return cluster;
    }

    static void checkSnid(int snid) {
        if (snid == SecurityIds.UNLABELED || snid == SecurityIds.ANY) {
            throw new IllegalArgumentException("SnID " + Integer.toUnsignedString(snid) + " is reserved");
        }
    }

    /**
     * Parses a URI of one of the three forms.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static SpiffeId parse(String uri) {
        String prefix = "spiffe://";
        if (uri == null || !uri.startsWith(prefix)) {
            throw new IllegalArgumentException("'" + uri + "' is not a spiffe:// URI");
        }
        String rest = uri.substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("'" + uri + "' has no path");
        }
        String cluster = rest.substring(0, slash);
        String[] seg = rest.substring(slash + 1).split("/", -1);
        try {
            if (seg.length == 1 && seg[0].equals("ss")) {
                return server(cluster);
            }
            if (seg.length == 2 && seg[0].equals("node")) {
                return node(cluster, SecurityIds.parse("SnID", strict(seg[1])));
            }
            if (seg.length == 4 && seg[0].equals("node") && seg[2].equals("scid")) {
                return process(cluster, SecurityIds.parse("SnID", strict(seg[1])),
                        SecurityIds.parse("ScID", strict(seg[3])));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + uri + "': " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("'" + uri + "' is not a DSI id (expected /ss, /node/<snid> or /node/<snid>/scid/<scid>)");
    }

    /** Only canonical decimal: no sign, no spaces, no leading zeros; so one id has one spelling. */
    private static String strict(String s) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9') || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new IllegalArgumentException("'" + s + "' is not a canonical decimal id");
        }
        return s;
    }

    public String cluster() {
        return cluster;
    }

    public Kind kind() {
        return kind;
    }

    /** The node's SnID; 0 for the Security Server. */
    public int snid() {
        return snid;
    }

    /** The process's ScID; 0 unless {@link Kind#PROCESS}. */
    public int scid() {
        return scid;
    }

    /** The URI, e.g. {@code spiffe://dsi/node/1/scid/10}. */
    public String uri() {
        switch (kind) {
            case SERVER:
                return "spiffe://" + cluster + "/ss";
            case NODE:
                return "spiffe://" + cluster + "/node/" + Integer.toUnsignedString(snid);
            default:
                return "spiffe://" + cluster + "/node/" + Integer.toUnsignedString(snid) + "/scid/"
                        + Integer.toUnsignedString(scid);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpiffeId && ((SpiffeId) o).uri().equals(uri());
    }

    @Override
    public int hashCode() {
        return Objects.hash(cluster, kind, snid, scid);
    }

    @Override
    public String toString() {
        return uri();
    }
}
