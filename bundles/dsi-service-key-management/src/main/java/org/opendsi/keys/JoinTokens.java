package org.opendsi.keys;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

import org.opendsi.keys.CaStateStore.TokenRecord;
import org.opendsi.keys.internal.FileCaStateStore;

/**
 * One-time join tokens, each bound to one node: the SnID (and, when given, the node name) it was
 * created for is the only one a join may claim with it, so a token meant for a new node cannot be
 * used to join as an existing one. A token is {@code dsi-} followed by 256 random bits (base64url);
 * only its SHA-256 is kept, in the {@link CaStateStore} (by default a 600 file), so reading the
 * store does not let anyone join. A token is redeemed at most once, and only before it expires:
 * the redemption is the store's atomic {@link CaStateStore#markRedeemed}, done before {@link #redeem}
 * returns, so neither a restart nor another Security Server sharing the store can redeem it again.
 * Used and expired records are kept {@link #RETENTION} past expiry so that reuse is reported as
 * such, then purged. Nothing is cached: every call reads the store. Thread-safe.
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

    private final CaStateStore store;
    private final Clock clock;

    /** Tokens kept in {@code file} (the format of every earlier version). */
    public JoinTokens(Path file, Clock clock) {
        this(new FileCaStateStore(file.toAbsolutePath().getParent(), file), clock);
    }

    /** Tokens kept in {@code store}, which other Security Servers may share. */
    public JoinTokens(CaStateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
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
        store.purgeTokens(now.minus(RETENTION));
        store.putToken(new TokenRecord(hash(token), label, snid, replace, now, now.plus(ttl), null));
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
        String h = hash(token.trim());
        if (!store.markRedeemed(h, clock.instant())) {
            // redeemed, expired or purged in between, possibly by another Security Server sharing the store
            TokenRecord now = store.token(h).orElseThrow(JoinTokens::unknown);
            throw now.redeemed() ? alreadyUsed(now.redeemedAt()) : expired(now.expiresAt());
        }
        return r;
    }

    /** What {@link #redeem} would return, without using the token up. */
    public synchronized Redeemed check(String token, int snid, String name) {
        Instant now = clock.instant();
        if (token == null || !TOKEN.matcher(token.trim()).matches()) {
            throw new JoinTokenException(JoinTokenException.Reason.UNKNOWN, "join token refused: malformed token");
        }
        TokenRecord r = store.token(hash(token.trim())).orElseThrow(JoinTokens::unknown);
        if (r.redeemed()) {
            throw alreadyUsed(r.redeemedAt());
        }
        if (!now.isBefore(r.expiresAt())) {
            throw expired(r.expiresAt());
        }
        if (r.snid() == 0) {
            throw new JoinTokenException(JoinTokenException.Reason.WRONG_NODE,
                    "join token refused: it is bound to no node (created by an older version); create one with "
                    + "dsi:token-create --snid N");
        }
        if (r.snid() != snid || !r.label().isEmpty() && !r.label().equals(name)) {
            throw new JoinTokenException(JoinTokenException.Reason.WRONG_NODE, "join token refused: it is for SnID "
                    + r.snid() + (r.label().isEmpty() ? "" : " named '" + r.label() + "'") + ", not for SnID "
                    + Integer.toUnsignedString(snid) + " named '" + name + "'");
        }
        return new Redeemed(r.label(), r.snid(), r.replace(), r.createdAt(), r.expiresAt());
    }

    private static JoinTokenException unknown() {
        return new JoinTokenException(JoinTokenException.Reason.UNKNOWN,
                "join token refused: unknown token (never issued by this Security Server, or purged)");
    }

    private static JoinTokenException expired(Instant at) {
        return new JoinTokenException(JoinTokenException.Reason.EXPIRED,
                "join token refused: expired at " + at + " (create a new one)");
    }

    private static JoinTokenException alreadyUsed(Instant at) {
        return new JoinTokenException(JoinTokenException.Reason.ALREADY_USED,
                "join token refused: already used at " + at + " (tokens are one-time; create a new one)");
    }

    /** Tokens on record (pending, used or expired within {@link #RETENTION}). */
    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>();
        for (TokenRecord r : store.tokens()) {
            out.add(new Info(r.hash().substring(0, 8), r.label(), r.snid(), r.replace(), r.createdAt(), r.expiresAt(),
                    r.redeemedAt()));
        }
        return out;
    }

    /** Number of tokens that can still be redeemed. */
    public synchronized int pendingCount() {
        Instant now = clock.instant();
        return (int) store.tokens().stream().filter(r -> !r.redeemed() && now.isBefore(r.expiresAt())).count();
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
