package org.opendsi.webview.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The view's login sessions. A session is named by a random 256-bit token (base64url, 43 characters)
 * that only the browser holds: the store keeps its SHA-256, so a heap dump yields no usable token.
 * A session ends after {@code idle} without a request, {@code absolute} after login, on logout, or
 * when the store is full and it is the least recently used one. Thread-safe.
 */
final class SessionStore {

    static final int TOKEN_BYTES = 32;

    /** A logged-in user. key is the hex SHA-256 of the token. */
    record Session(String key, String user, Set<String> roles, Instant created, Instant lastSeen) {
    }

    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private final Duration idle;
    private final Duration absolute;
    private final int max;
    /** By token hash, in access order (least recently used first). */
    private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);

    SessionStore(Clock clock, Duration idle, Duration absolute, int max) {
        this.clock = clock;
        this.idle = idle;
        this.absolute = absolute;
        this.max = max;
    }

    /** Starts a session and returns its token (the only copy). */
    synchronized String create(String user, Set<String> roles) {
        byte[] raw = new byte[TOKEN_BYTES];
        random.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = clock.instant();
        purgeExpired(now);
        while (sessions.size() >= max) {
            Iterator<String> lru = sessions.keySet().iterator();
            lru.next();
            lru.remove();
        }
        String key = hash(token);
        sessions.put(key, new Session(key, user, Set.copyOf(roles), now, now));
        return token;
    }

    /** The live session of token (and marks it used), empty when unknown, expired or malformed. */
    synchronized Optional<Session> touch(String token) {
        return lookup(token, true);
    }

    /** Like {@link #touch} without counting as activity (for long-lived streams re-checking). */
    synchronized Optional<Session> peek(String token) {
        return lookup(token, false);
    }

    /** Ends the session of token; false if there was none. */
    synchronized boolean invalidate(String token) {
        return token != null && sessions.remove(hash(token)) != null;
    }

    synchronized void clear() {
        sessions.clear();
    }

    synchronized int size() {
        purgeExpired(clock.instant());
        return sessions.size();
    }

    private Optional<Session> lookup(String token, boolean use) {
        if (token == null || token.length() != 43) {
            return Optional.empty();
        }
        String key = hash(token);
        Session s = use ? sessions.get(key) : peekNoReorder(key);
        if (s == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (expired(s, now)) {
            sessions.remove(key);
            return Optional.empty();
        }
        if (use) {
            s = new Session(s.key(), s.user(), s.roles(), s.created(), now);
            sessions.put(key, s);
        }
        return Optional.of(s);
    }

    private Session peekNoReorder(String key) {
        for (Map.Entry<String, Session> e : sessions.entrySet()) {   // entrySet iteration keeps the order
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    private boolean expired(Session s, Instant now) {
        return !now.isBefore(s.lastSeen().plus(idle)) || !now.isBefore(s.created().plus(absolute));
    }

    private void purgeExpired(Instant now) {
        sessions.values().removeIf(s -> expired(s, now));
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
