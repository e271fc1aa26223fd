package org.opendsi.policy;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An incremental policy update: the DSP source of a new version expressed against a known older
 * version's bytes — keep the first {@code keepHead} and last {@code keepTail} bytes of the base,
 * put {@code middle} between them. Operators change a few lines at a time, so the middle is small;
 * when it is not, the sender ships the full source instead ({@link #worthIt}).
 *
 * <p>Bytes, not characters or lines: the result must reproduce the new source exactly, because the
 * Security Server signs the SHA-256 of those bytes. {@link #apply} checks the base's hash before and
 * the result's hash after.
 *
 * @param baseSha256   hex SHA-256 of the base version's source
 * @param keepHead     bytes kept from the start of the base
 * @param keepTail     bytes kept from the end of the base
 * @param middle       bytes placed between them
 * @param resultSha256 hex SHA-256 of the reconstructed source
 */
public record PolicyPatch(String baseSha256, int keepHead, int keepTail, byte[] middle, String resultSha256) {

    public PolicyPatch {
        if (keepHead < 0 || keepTail < 0) {
            throw new IllegalArgumentException("negative patch bounds");
        }
        middle = middle.clone();
    }

    @Override
    public byte[] middle() {
        return middle.clone();
    }

    /** The patch turning base into next. */
    public static PolicyPatch between(byte[] base, byte[] next) {
        int head = 0;
        int max = Math.min(base.length, next.length);
        while (head < max && base[head] == next[head]) {
            head++;
        }
        int tail = 0;
        while (tail < max - head && base[base.length - 1 - tail] == next[next.length - 1 - tail]) {
            tail++;
        }
        return new PolicyPatch(sha256Hex(base), head, tail, Arrays.copyOfRange(next, head, next.length - tail),
                sha256Hex(next));
    }

    /** True when sending this patch is cheaper than sending the full next source. */
    public boolean worthIt(int fullSize) {
        return middle.length + 200 < fullSize;
    }

    /**
     * Rebuilds the new source from the base.
     *
     * @throws IllegalArgumentException when base is not the version the patch was made against, or
     *                                  the result does not hash to resultSha256
     */
    public byte[] apply(byte[] base) {
        if (!sha256Hex(base).equals(baseSha256)) {
            throw new IllegalArgumentException("patch base mismatch: this node holds another version's source");
        }
        if ((long) keepHead + keepTail > base.length) {
            throw new IllegalArgumentException("patch bounds exceed the base (" + base.length + " bytes)");
        }
        byte[] out = new byte[keepHead + middle.length + keepTail];
        System.arraycopy(base, 0, out, 0, keepHead);
        System.arraycopy(middle, 0, out, keepHead, middle.length);
        System.arraycopy(base, base.length - keepTail, out, keepHead + middle.length, keepTail);
        if (!sha256Hex(out).equals(resultSha256)) {
            throw new IllegalArgumentException("patched source does not match its announced hash");
        }
        return out;
    }

    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JRE", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PolicyPatch p && p.baseSha256.equals(baseSha256) && p.keepHead == keepHead
                && p.keepTail == keepTail && Arrays.equals(p.middle, middle) && p.resultSha256.equals(resultSha256);
    }

    @Override
    public int hashCode() {
        return baseSha256.hashCode() * 31 + resultSha256.hashCode();
    }

    @Override
    public String toString() {
        return "PolicyPatch[" + baseSha256.substring(0, 12) + " -> " + resultSha256.substring(0, 12) + ", keep "
                + keepHead + "+" + keepTail + ", " + middle.length + " new bytes]";
    }

}
