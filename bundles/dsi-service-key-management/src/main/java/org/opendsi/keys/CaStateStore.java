package org.opendsi.keys;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.opendsi.keys.internal.FileCaStateStore;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The mutable state of the cluster root CA, kept where every Security Server of the cluster can
 * reach it: the join tokens, the index of certificates the root issued (with their revocation) and
 * the root CRL with its counter. The root key itself is not in here (it lives in a
 * {@link KeyStoreProvider}); several SSs that share one store must hold the same root key.
 *
 * <p>Every method is one atomic step against the store and may be called from several processes at
 * once; no method relies on state cached by the caller. Hashes, serials and CRL numbers are unique
 * keys. The default implementation ({@link #files(Path)}) keeps today's files in the CA directory;
 * a database implementation maps each group of methods onto one table.
 *
 * <p>Failures are unchecked: {@link java.io.UncheckedIOException} or {@link PkiException} (or the
 * implementation's own runtime exception) when the store cannot be read or written.
 */
@ConsumerType
public interface CaStateStore {

    /**
     * One join token as stored: only the SHA-256 of the token (lowercase hex), never the token.
     *
     * @param hash       SHA-256 of the token, 64 lowercase hex digits; the key
     * @param label      the node name a join must claim ("" for any)
     * @param snid       the SnID the token is bound to (0 for a record of a version before binding)
     * @param replace    whether the join may replace a node whose certificates are live
     * @param redeemedAt when it was redeemed; null while unused
     */
    record TokenRecord(String hash, String label, int snid, boolean replace, Instant createdAt, Instant expiresAt,
                       Instant redeemedAt) {

        public boolean redeemed() {
            return redeemedAt != null;
        }
    }

    // ------------------------------------------------------------------ join tokens

    /**
     * Adds a token record (normally unredeemed; a redeemed one is stored as such, e.g. when state is
     * copied from one store to another).
     *
     * @throws IllegalStateException when a record with that hash exists
     */
    void putToken(TokenRecord token);

    /** The record of {@code hash}, redeemed or not; empty when never stored or purged. */
    Optional<TokenRecord> token(String hash);

    /**
     * Marks the token redeemed at {@code at}, atomically: of several concurrent calls for one hash,
     * across all processes sharing the store, at most one returns true, and none does once the token
     * expired at {@code at} (so a token that expires between the caller's check and this call stays
     * unused). Binding is the caller's to check before.
     *
     * @return true when this call redeemed it; false when it was already redeemed, had expired at
     *         {@code at}, or is unknown
     */
    boolean markRedeemed(String hash, Instant at);

    /** Every token on record, oldest first. */
    List<TokenRecord> tokens();

    /** Forgets the tokens that expired before {@code before} (redeemed or not). */
    void purgeTokens(Instant before);

    // ------------------------------------------------------------------ issued certificates

    /**
     * Appends a certificate the root issued (normally unrevoked).
     *
     * @throws IllegalStateException when a record with that serial exists
     */
    void addIssued(IssuedCertificate certificate);

    /**
     * Marks the certificate revoked, atomically: of concurrent calls for one serial at most one returns true.
     *
     * @return true when this call revoked it; false when it was already revoked (or is unknown)
     */
    boolean markRevoked(BigInteger serial, Instant at, CRLReason reason);

    /** Every certificate the root issued, oldest first, with its revocation. */
    List<IssuedCertificate> issued();

    /** The record of {@code serial}; empty when the root never issued it. */
    Optional<IssuedCertificate> issued(BigInteger serial);

    // ------------------------------------------------------------------ CRL

    /**
     * Reserves the next CRL number: atomically increments the counter and returns the new value
     * (1 for the first). A number is returned once, ever, whatever CRL ends up stored.
     */
    BigInteger nextCrlNumber();

    /**
     * Stores the current signed CRL (PEM), unless the stored one carries a higher number (a CRL
     * signed concurrently elsewhere with a later number wins).
     *
     * @param number the CRL number inside {@code pem}
     * @return true when stored; false when a CRL with a higher or equal number is stored
     */
    boolean putCrl(BigInteger number, String pem);

    /** The current signed CRL (PEM); empty before the first {@link #putCrl}. */
    Optional<String> crl();

    /**
     * The built-in store: the files {@code issued.db}, {@code crl.number}, {@code crl.pem} and
     * {@code join-tokens} in {@code caDir}, in the formats every DSI version wrote. Safe for several
     * stores over one directory in one JVM and, through a lock file, for several processes on one host;
     * not for Security Servers on different hosts (use a database store there).
     */
    static CaStateStore files(Path caDir) {
        return new FileCaStateStore(caDir);
    }
}
