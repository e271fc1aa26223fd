package org.opendsi.api;

/**
 * Security context ids (ScID) and node ids (SnID) are unsigned 32-bit values carried as Java ints.
 * Two values are reserved by the table format and the wire label.
 */
public final class SecurityIds {
    /** ScID of a process outside the DSI subtree and of unlabeled packets; SnID of unlabeled packets. */
    public static final int UNLABELED = 0;
    /** SnID wildcard in table entries ("any source node"); never a real node id. */
    public static final int ANY = 0xFFFFFFFF;
    /** Largest id a policy may assign (ANY is reserved). */
    public static final long MAX_ID = 0xFFFFFFFEL;
    /**
     * Largest SnID a node may have: the kernel DSM's IP-option label carries the SnID in 16 bits
     * (65535 is kept free), so a node with a larger id could never be named by a label.
     */
    public static final int MAX_SNID = 65534;

    private SecurityIds() {
    }

    /** Parses a decimal id in [0, MAX_ID]; names the kind ("ScID", "SnID") in the error. */
    public static int parse(String kind, String text) {
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(kind + " '" + text + "' is not a number");
        }
        if (v < 0 || v > MAX_ID) {
            throw new IllegalArgumentException(kind + " " + v + " is out of range 0.." + MAX_ID);
        }
        return (int) v;
    }

    public static String format(int id) {
        return id == ANY ? "*" : Integer.toUnsignedString(id);
    }
}
