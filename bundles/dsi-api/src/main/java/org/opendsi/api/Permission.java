package org.opendsi.api;

import java.util.Locale;

/**
 * The fixed set of permissions a DSP rule can grant or deny. The bit number of each permission is
 * part of the compiled table format (see TABLE-FORMAT.md) and of the kernel DSM: never renumber.
 */
public enum Permission {
    /** Create a socket (checked at the source, by the creating process's ScID). */
    CREATE(0, "create"),
    /** Bind a socket to a local port; the target is the port's socket label. */
    BIND(1, "bind"),
    /** Connect to a socket; the target is the destination socket's label. */
    CONNECT(2, "connect"),
    /** Send a datagram or stream data to a socket of the target context. */
    SEND(3, "send"),
    /** Receive from the subject: checked on the target node before the packet reaches the socket. */
    RECEIVE(4, "receive"),
    /** Exec into the target context (parent ScID to new ScID); see transition rules. */
    TRANSITION(5, "transition"),
    /**
     * Open a raw IP socket (SOCK_RAW): it writes its own IP headers (labels, addresses) and is judged
     * by no connect/send check. Checked at the source like create (target = the process's own ScID);
     * never implied by {@code all} or by zones: a DSP grants it by name.
     */
    RAW(6, "raw");

    /** Number of permission bit positions reserved in the table format (rule-id slots per entry). */
    public static final int SLOTS = 8;

    private final int bit;
    private final String xmlName;

    Permission(int bit, String xmlName) {
        this.bit = bit;
        this.xmlName = xmlName;
    }

    public int bit() {
        return bit;
    }

    public int mask() {
        return 1 << bit;
    }

    /** The name used in DSP files and shell commands. */
    public String xmlName() {
        return xmlName;
    }

    private static final Permission[] BY_BIT = new Permission[SLOTS];

    static {
        for (Permission p : values()) {
            BY_BIT[p.bit] = p;
        }
    }

    public static Permission ofBit(int bit) {
        Permission p = bit >= 0 && bit < SLOTS ? BY_BIT[bit] : null;
        if (p == null) {
            throw new IllegalArgumentException("no permission has bit " + bit);
        }
        return p;
    }

    /** Parses a DSP/shell name ("receive", "RECEIVE"). */
    public static Permission parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Permission p : values()) {
            if (p.xmlName.equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown permission '" + name + "'; expected one of "
                + java.util.Arrays.stream(values()).map(Permission::xmlName).toList());
    }

    /** All permissions whose bits are set in mask, in bit order. */
    public static java.util.List<Permission> fromMask(int mask) {
        java.util.List<Permission> out = new java.util.ArrayList<>();
        for (Permission p : values()) {
            if ((mask & p.mask()) != 0) {
                out.add(p);
            }
        }
        return out;
    }

    public static int allMask() {
        int m = 0;
        for (Permission p : values()) {
            m |= p.mask();
        }
        return m;
    }
}
