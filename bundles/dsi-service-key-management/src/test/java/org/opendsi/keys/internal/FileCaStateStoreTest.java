package org.opendsi.keys.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.CaStateStore.TokenRecord;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.IssuedCertificate;
import org.opendsi.keys.KeyAlgorithm;
import org.opendsi.keys.Pem;

/** The file store reads and writes the files of a data directory written by earlier versions, byte for byte. */
class FileCaStateStoreTest {

    @TempDir
    Path dir;

    private static final String H1 = "a".repeat(64);
    private static final String H2 = "b".repeat(64);
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
    private static final Instant T1 = Instant.parse("2026-01-02T04:04:05Z");

    @Test
    void readsAndRewritesTheIndexInItsFormat() throws Exception {
        String old = "# DSI CA index: serial role snid notBefore notAfter revokedAt reason name\n"
                + "1f SERVER 0 2026-01-02T03:04:05Z 2026-01-02T04:04:05Z - - ss\n"
                + "2a NODE_CA 65534 2026-01-02T03:04:05Z 2026-01-02T04:04:05Z 2026-01-02T03:04:05Z KEY_COMPROMISE colby\n";
        Files.writeString(dir.resolve("issued.db"), old);
        FileCaStateStore s = new FileCaStateStore(dir);
        assertEquals(List.of(
                new IssuedCertificate(BigInteger.valueOf(0x1f), CertificateRole.SERVER, 0, "ss", T0, T1, null, null),
                new IssuedCertificate(BigInteger.valueOf(0x2a), CertificateRole.NODE_CA, 65534, "colby", T0, T1, T0,
                        CRLReason.KEY_COMPROMISE)), s.issued());
        assertFalse(s.markRevoked(BigInteger.valueOf(0x2a), T1, CRLReason.UNSPECIFIED), "already revoked");
        assertFalse(s.markRevoked(BigInteger.TEN, T1, CRLReason.UNSPECIFIED), "unknown");
        assertTrue(s.markRevoked(BigInteger.valueOf(0x1f), T1, CRLReason.SUPERSEDED));
        s.addIssued(new IssuedCertificate(BigInteger.valueOf(0x3b), CertificateRole.CHANNEL, 7, "n7", T0, T1, null, null));
        assertEquals(old.replace("04:04:05Z - - ss", "04:04:05Z 2026-01-02T04:04:05Z SUPERSEDED ss")
                + "3b CHANNEL 7 2026-01-02T03:04:05Z 2026-01-02T04:04:05Z - - n7\n", Files.readString(dir.resolve("issued.db")));
        assertThrows(IllegalStateException.class, () -> s.addIssued(s.issued().get(0)));
    }

    @Test
    void readsAndRewritesTokensInTheirFormatIncludingUnboundOnes() throws Exception {
        String old = "# DSI join tokens: sha256(token) created expires used name snid replace|-\n"
                + H1 + " 2026-01-02T03:04:05Z 2026-01-02T04:04:05Z - colby\n" // before node binding
                + H2 + " 2026-01-02T03:04:05Z 2026-01-02T04:04:05Z - munster 3 replace\n";
        Files.writeString(dir.resolve("join-tokens"), old);
        FileCaStateStore s = new FileCaStateStore(dir);
        assertEquals(Optional.of(new TokenRecord(H1, "colby", 0, false, T0, T1, null)), s.token(H1));
        assertEquals(new TokenRecord(H2, "munster", 3, true, T0, T1, null), s.tokens().get(1));
        assertFalse(s.markRedeemed(H2, T1), "expired at that instant: the expiry is part of the redemption");
        assertTrue(s.markRedeemed(H2, T0));
        assertFalse(s.markRedeemed(H2, T1), "one-time");
        assertFalse(s.markRedeemed("c".repeat(64), T1), "unknown");
        assertEquals(T0, s.token(H2).orElseThrow().redeemedAt());
        assertEquals(old.replace(" - colby\n", " - colby 0 -\n").replace("- munster", "2026-01-02T03:04:05Z munster"),
                Files.readString(dir.resolve("join-tokens")));
        s.purgeTokens(T1);
        assertEquals(2, s.tokens().size(), "expiring exactly then is kept");
        s.purgeTokens(T1.plusSeconds(1));
        assertEquals(List.of(), s.tokens());
    }

    @Test
    void crlNumbersContinueFromTheCounterOrTheStoredCrlAndALaterCrlIsNeverOverwritten() throws Exception {
        Files.writeString(dir.resolve("crl.number"), "41\n");
        FileCaStateStore s = new FileCaStateStore(dir);
        assertEquals(Optional.empty(), s.crl());
        assertEquals(BigInteger.valueOf(42), s.nextCrlNumber());
        assertEquals("42\n", Files.readString(dir.resolve("crl.number")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state.lock"))));

        KeyPair kp = Pki.generateKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate root = Pki.issue(Pki.Profile.ROOT_CA, Pki.dn("t", null, "root"), kp.getPublic(), null,
                kp.getPrivate(), T0, T1, List.of("spiffe://t"), List.of(), List.of());
        String crl50 = Pem.crl(Pki.crl(root, kp.getPrivate(), BigInteger.valueOf(50), T0, T1, Map.of()));
        assertTrue(s.putCrl(BigInteger.valueOf(50), crl50));
        assertFalse(s.putCrl(BigInteger.valueOf(45),
                Pem.crl(Pki.crl(root, kp.getPrivate(), BigInteger.valueOf(45), T0, T1, Map.of()))), "older");
        assertEquals(Optional.of(crl50), s.crl());
        assertEquals(crl50, Files.readString(dir.resolve("crl.pem")));
        assertEquals(BigInteger.valueOf(51), s.nextCrlNumber(), "past the stored CRL's number");
    }

    @Test
    void processesSharingTheDirectoryNeverGetTheSameCrlNumber() throws Exception {
        String javaCmd = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workers.add(new ProcessBuilder(javaCmd, "-cp", System.getProperty("java.class.path"),
                    CrlNumberWorker.class.getName(), dir.toString(), "40").redirectErrorStream(true).start());
        }
        List<BigInteger> all = new ArrayList<>();
        FileCaStateStore here = new FileCaStateStore(dir);
        for (int i = 0; i < 40; i++) {
            all.add(here.nextCrlNumber());
        }
        for (Process p : workers) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            out.lines().map(BigInteger::new).forEach(all::add);
        }
        assertEquals(160, all.size());
        assertEquals(160, new HashSet<>(all).size(), "no number twice");
        assertEquals(BigInteger.valueOf(161), here.nextCrlNumber());
    }
}
