package org.opendsi.ss.postgres.internal;

import static org.opendsi.ss.postgres.internal.PostgresServerStore.instant;
import static org.opendsi.ss.postgres.internal.PostgresServerStore.timestamp;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.cert.CRLReason;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.opendsi.keys.CaStateStore;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.IssuedCertificate;

/**
 * The cluster CA's state in PostgreSQL, shared by the Security Servers. A join token's redemption is
 * a row whose primary key is the token's hash: of two servers redeeming one token, the database lets
 * exactly one insert it. Writes are fenced by the lease like every other write of the store.
 */
final class PostgresCaState implements CaStateStore {

    private static final String TOKEN_COLUMNS = "t.hash, t.label, t.snid, t.replace, t.created_at, t.expires_at, r.redeemed_at";
    private static final String TOKEN_FROM = " FROM ca_join_token t LEFT JOIN ca_join_token_redemption r ON r.hash = t.hash";
    private static final String ISSUED_COLUMNS = "serial, role, snid, node_name, not_before, not_after, revoked_at, reason";

    private final Fence fence;

    PostgresCaState(Fence fence) {
        this.fence = fence;
    }

    // ---------------------------------------------------------------- join tokens

    @Override
    public void putToken(TokenRecord t) {
        fence.write("a join token", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ca_join_token (hash, label, snid, replace, created_at, "
                    + "expires_at) VALUES (?,?,?,?,?,?) ON CONFLICT (hash) DO NOTHING")) {
                p.setString(1, t.hash());
                p.setString(2, t.label());
                p.setLong(3, Integer.toUnsignedLong(t.snid()));
                p.setBoolean(4, t.replace());
                timestamp(p, 5, t.createdAt());
                timestamp(p, 6, t.expiresAt());
                if (p.executeUpdate() == 0) {
                    throw new IllegalStateException("a join token with that hash is already stored");
                }
            }
            if (t.redeemedAt() != null) {
                redeem(c, t.hash(), t.redeemedAt());
            }
            return null;
        });
    }

    @Override
    public Optional<TokenRecord> token(String hash) {
        return fence.read("a join token", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + TOKEN_COLUMNS + TOKEN_FROM + " WHERE t.hash = ?")) {
                p.setString(1, hash);
                return tokenRows(p).stream().findFirst();
            }
        });
    }

    @Override
    public boolean markRedeemed(String hash, Instant at) {
        return fence.write("the redemption of a join token", c -> redeem(c, hash, at));
    }

    private static boolean redeem(java.sql.Connection c, String hash, Instant at) throws SQLException {
        // the primary key of the redemption row is the guard: a second insert of one hash adds nothing;
        // the expiry is checked in the same statement, so a token cannot expire between check and use
        try (PreparedStatement p = c.prepareStatement("INSERT INTO ca_join_token_redemption (hash, redeemed_at) "
                + "SELECT hash, ? FROM ca_join_token WHERE hash = ? AND expires_at > ? ON CONFLICT (hash) DO NOTHING")) {
            timestamp(p, 1, at);
            p.setString(2, hash);
            timestamp(p, 3, at);
            return p.executeUpdate() == 1;
        }
    }

    @Override
    public List<TokenRecord> tokens() {
        return fence.read("the join tokens", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + TOKEN_COLUMNS + TOKEN_FROM + " ORDER BY t.created_at, t.hash")) {
                return tokenRows(p);
            }
        });
    }

    private static List<TokenRecord> tokenRows(PreparedStatement p) throws SQLException {
        List<TokenRecord> out = new ArrayList<>();
        try (ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(new TokenRecord(r.getString(1), r.getString(2), (int) r.getLong(3), r.getBoolean(4), instant(r, 5),
                        instant(r, 6), instant(r, 7)));
            }
        }
        return out;
    }

    @Override
    public void purgeTokens(Instant before) {
        fence.write("the purge of expired join tokens", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM ca_join_token WHERE expires_at < ?")) {
                timestamp(p, 1, before);
                return p.executeUpdate();
            }
        });
    }

    // ---------------------------------------------------------------- issued certificates

    @Override
    public void addIssued(IssuedCertificate i) {
        fence.write("issued certificate " + i.serial().toString(16), c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ca_issued (" + ISSUED_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?) "
                    + "ON CONFLICT (serial) DO NOTHING")) {
                p.setString(1, i.serial().toString(16));
                p.setString(2, i.role().name());
                p.setLong(3, Integer.toUnsignedLong(i.snid()));
                p.setString(4, i.nodeName());
                timestamp(p, 5, i.notBefore());
                timestamp(p, 6, i.notAfter());
                timestamp(p, 7, i.revokedAt());
                p.setString(8, i.reason() == null ? null : i.reason().name());
                if (p.executeUpdate() == 0) {
                    throw new IllegalStateException("a certificate with serial " + i.serial().toString(16) + " is already on record");
                }
            }
            return null;
        });
    }

    @Override
    public boolean markRevoked(BigInteger serial, Instant at, CRLReason reason) {
        return fence.write("the revocation of " + serial.toString(16), c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE ca_issued SET revoked_at = ?, reason = ? WHERE serial = ? AND revoked_at IS NULL")) {
                timestamp(p, 1, at);
                p.setString(2, reason.name());
                p.setString(3, serial.toString(16));
                return p.executeUpdate() == 1;
            }
        });
    }

    @Override
    public List<IssuedCertificate> issued() {
        return fence.read("the issued certificates", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + ISSUED_COLUMNS + " FROM ca_issued ORDER BY seq")) {
                return issuedRows(p);
            }
        });
    }

    @Override
    public Optional<IssuedCertificate> issued(BigInteger serial) {
        return fence.read("issued certificate " + serial.toString(16), c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + ISSUED_COLUMNS + " FROM ca_issued WHERE serial = ?")) {
                p.setString(1, serial.toString(16));
                return issuedRows(p).stream().findFirst();
            }
        });
    }

    private static List<IssuedCertificate> issuedRows(PreparedStatement p) throws SQLException {
        List<IssuedCertificate> out = new ArrayList<>();
        try (ResultSet r = p.executeQuery()) {
            while (r.next()) {
                String reason = r.getString(8);
                out.add(new IssuedCertificate(new BigInteger(r.getString(1), 16), CertificateRole.valueOf(r.getString(2)),
                        (int) r.getLong(3), r.getString(4), instant(r, 5), instant(r, 6), instant(r, 7),
                        reason == null ? null : CRLReason.valueOf(reason)));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- CRL

    @Override
    public BigInteger nextCrlNumber() {
        return fence.write("the next CRL number", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE ca_crl SET number = number + 1 WHERE id = 1 RETURNING number");
                 ResultSet r = p.executeQuery()) {
                r.next();
                return r.getBigDecimal(1).toBigIntegerExact();
            }
        });
    }

    @Override
    public boolean putCrl(BigInteger number, String pem) {
        return fence.write("CRL number " + number, c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE ca_crl SET pem = ?, pem_number = ? WHERE id = 1 AND (pem_number IS NULL OR pem_number < ?)")) {
                p.setString(1, pem);
                p.setBigDecimal(2, new BigDecimal(number));
                p.setBigDecimal(3, new BigDecimal(number));
                return p.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<String> crl() {
        return fence.read("the CRL", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT pem FROM ca_crl WHERE id = 1"); ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.empty();
            }
        });
    }
}
