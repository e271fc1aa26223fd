package org.opendsi.keys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;


/**
 * One-time join tokens, each bound to one node: the SnID (and, when given, the node name) it was
 * created for is the only one a join may claim with it, so a token meant for a new node cannot be
 * used to join as an existing one. A token is {@code dsi-} followed by 256 random bits (base64url);
 * only its SHA-256 is kept, in a 600 file, so reading the file does not let anyone join. A token is
 * redeemed at most once, and only before it expires; the redemption is on disk before
 * {@link #redeem} returns, so a restart cannot make a used token valid again. Used and expired
 * records are kept {@link #RETENTION} past expiry so that reuse is reported as such, then purged.
 * Thread-safe.
 */
public final class JoinTokens {

    /** How long records are kept after expiry (afterwards a token is simply unknown). */
    public static final Duration RETENTION = Duration.ofDays(30);
    /** Longest time to live accepted by {@link #create}. */
    public static final Duration MAX_TTL = Duration.ofDays(30);

    private static final String PREFIX = "dsi-";
    private static final Pattern TOKEN = Pattern.compile("dsi-[A-Za-z0-9_-]{43}");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{0,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What a successful redemption tells the Security Server.
     *
     * @param label   the node name the token was created for ("" when any name goes)
     * @param snid    the SnID it was created for
     * @param replace whether it may replace a node whose certificates are live (which are revoked first)
     */
    public record Redeemed(String label, int snid, boolean replace, Instant createdAt, Instant expiresAt) {
    }

    /** A stored token (hash prefix only, for listings); {@code snid} 0 for a token of an older version. */
    public record Info(String hashPrefix, String label, int snid, boolean replace, Instant createdAt, Instant expiresAt,
                       Instant usedAt) {
    }

    private static final class Rec {
        final String label;
        final int snid;
        final boolean replace;
        final Instant created;
        final Instant expires;
        Instant used;

        Rec(String label, int snid, boolean replace, Instant created, Instant expires, Instant used) {
            this.label = label;
            this.snid = snid;
            this.replace = replace;
            this.created = created;
            this.expires = expires;
            this.used = used;
        }
    }

    private final Path file;
    private final Clock clock;
    private final Map<String, Rec> byHash = new LinkedHashMap<>();

    public JoinTokens(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
        load();
    }

    /**
     * Creates a token valid for {@code ttl} for the node {@code snid} only; the returned string is shown
     * once and never stored.
     *
     * @param name    the node name a join must claim with it ("" for any; letters, digits, '.', '-', '_',
     *                at most 64)
     * @param replace whether the join may replace a node of that SnID whose certificates are live
     */
    public synchronized String create(Duration ttl, int snid, String name, boolean replace) {
        String label = name;
        if (snid < 1 || snid > 65534) {
            throw new IllegalArgumentException("a join token is for one SnID in 1..65534, not " + Integer.toUnsignedString(snid));
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("token time to live must be in (0, " + MAX_TTL.toDays() + " days], not " + ttl);
        }
        if (label == null || !LABEL.matcher(label).matches()) {
            throw new IllegalArgumentException("token label '" + label + "' must be at most 64 of [A-Za-z0-9._-]");
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = PREFIX + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = clock.instant();
        purge(now);
        byHash.put(hash(token), new Rec(label, snid, replace, now, now.plus(ttl), null));
        save();
        return token;
    }

    /**
     * Redeems a token once, for the node it was created for.
     *
     * @throws JoinTokenException with reason {@code UNKNOWN}, {@code ALREADY_USED}, {@code EXPIRED} or
     *                            {@code WRONG_NODE} (the token then stays usable by its own node)
     */
    public synchronized Redeemed redeem(String token, int snid, String name) {
        Redeemed r = check(token, snid, name);
        byHash.get(hash(token.trim())).used = clock.instant();
        save();
        return r;
    }

    /** What {@link #redeem} would return, without using the token up. */
    public synchronized Redeemed check(String token, int snid, String name) {
        Instant now = clock.instant();
        if (token == null || !TOKEN.matcher(token.trim()).matches()) {
            throw new JoinTokenException(JoinTokenException.Reason.UNKNOWN, "join token refused: malformed token");
        }
        Rec r = byHash.get(hash(token.trim()));
        if (r == null) {
            throw new JoinTokenException(JoinTokenException.Reason.UNKNOWN,
                    "join token refused: unknown token (never issued by this Security Server, or purged)");
        }
        if (r.used != null) {
            throw new JoinTokenException(JoinTokenException.Reason.ALREADY_USED,
                    "join token refused: already used at " + r.used + " (tokens are one-time; create a new one)");
        }
        if (!now.isBefore(r.expires)) {
            throw new JoinTokenException(JoinTokenException.Reason.EXPIRED,
                    "join token refused: expired at " + r.expires + " (create a new one)");
        }
        if (r.snid == 0) {
            throw new JoinTokenException(JoinTokenException.Reason.WRONG_NODE,
                    "join token refused: it is bound to no node (created by an older version); create one with "
                    + "dsi:token-create --snid N");
        }
        if (r.snid != snid || !r.label.isEmpty() && !r.label.equals(name)) {
            throw new JoinTokenException(JoinTokenException.Reason.WRONG_NODE, "join token refused: it is for SnID "
                    + r.snid + (r.label.isEmpty() ? "" : " named '" + r.label + "'") + ", not for SnID "
                    + Integer.toUnsignedString(snid) + " named '" + name + "'");
        }
        return new Redeemed(r.label, r.snid, r.replace, r.created, r.expires);
    }

    /** Tokens on record (pending, used or expired within {@link #RETENTION}). */
    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>();
        byHash.forEach((h, r) -> out.add(new Info(h.substring(0, 8), r.label, r.snid, r.replace, r.created, r.expires,
                r.used)));
        return out;
    }

    /** Number of tokens that can still be redeemed. */
    public synchronized int pendingCount() {
        Instant now = clock.instant();
        return (int) byHash.values().stream().filter(r -> r.used == null && now.isBefore(r.expires)).count();
    }

    private void purge(Instant now) {
        byHash.values().removeIf(r -> now.isAfter(r.expires.plus(RETENTION)));
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(" ", -1);
                if (f.length != 5 && f.length != 7) { // 5: written before tokens were bound to a node
                    throw new PkiException("corrupted token file " + file + ": '" + line + "'");
                }
                byHash.put(f[0], new Rec(f[4], f.length == 7 ? Integer.parseInt(f[5]) : 0,
                        f.length == 7 && f[6].equals("replace"), Instant.parse(f[1]), Instant.parse(f[2]),
                        f[3].equals("-") ? null : Instant.parse(f[3])));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read token file " + file, e);
        }
    }

    private void save() {
        StringBuilder sb = new StringBuilder("# DSI join tokens: sha256(token) created expires used name snid replace|-\n");
        byHash.forEach((h, r) -> sb.append(h).append(' ').append(r.created).append(' ').append(r.expires).append(' ')
                .append(r.used == null ? "-" : r.used.toString()).append(' ').append(r.label).append(' ').append(r.snid)
                .append(' ').append(r.replace ? "replace" : "-").append('\n'));
        try {
            SecureFiles.writeAtomic(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write token file " + file, e);
        }
    }
}
