package org.opendsi.policy;

/**
 * Strict dotted-quad IPv4 parsing and formatting. Addresses are ints in network order (the first
 * octet is the most significant byte).
 */
public final class Ipv4 {
    private Ipv4() {
    }

    /**
     * Parses "a.b.c.d" with four decimal octets 0..255 (at most 3 digits each, no signs, no
     * spaces).
     *
     * @throws IllegalArgumentException naming what was expected
     */
    public static int parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (expected a.b.c.d)");
        }
        int v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (expected a.b.c.d with"
                        + " decimal octets)");
            }
            int o = Integer.parseInt(p);
            if (o > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (octet " + o + " > 255)");
            }
            v = (v << 8) | o;
        }
        return v;
    }

    /** Parses "a.b.c.d/len"; returns {prefix, len}. Host bits must be zero. */
    public static int[] parseCidr(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (expected a.b.c.d/len)");
        }
        int addr = parse(text.substring(0, slash));
        String l = text.substring(slash + 1);
        if (l.isEmpty() || l.length() > 2 || !l.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (prefix length must be 0..32)");
        }
        int len = Integer.parseInt(l);
        if (len > 32) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (prefix length " + len + " > 32)");
        }
        int mask = mask(len);
        if ((addr & ~mask) != 0) {
            throw new IllegalArgumentException("'" + text + "' has host bits set (did you mean "
                    + formatCidr(addr & mask, len) + "?)");
        }
        return new int[] {addr, len};
    }

    public static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }

    public static String format(int addr) {
        return (addr >>> 24) + "." + ((addr >>> 16) & 255) + "." + ((addr >>> 8) & 255) + "." + (addr & 255);
    }

    public static String formatCidr(int prefix, int len) {
        return format(prefix) + "/" + len;
    }

    public static byte[] toBytes(int addr) {
        return new byte[] {(byte) (addr >>> 24), (byte) (addr >>> 16), (byte) (addr >>> 8), (byte) addr};
    }

    public static int fromBytes(byte[] b) {
        return ((b[0] & 255) << 24) | ((b[1] & 255) << 16) | ((b[2] & 255) << 8) | (b[3] & 255);
    }
}
