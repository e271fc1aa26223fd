package org.opendsi.keys.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CRLReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import org.opendsi.keys.CaStateStore;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.IssuedCertificate;
import org.opendsi.keys.Pem;
import org.opendsi.keys.PkiException;
import org.opendsi.keys.SecureFiles;

/**
 * {@link CaStateStore} in the CA directory, in the file formats of every DSI version:
 * <pre>
 *   issued.db    serial(hex) role snid notBefore notAfter revokedAt|- reason|- name     (one line each)
 *   crl.number   last CRL number reserved
 *   crl.pem      the current CRL
 *   join-tokens  sha256(token) created expires used|- name snid replace|-              (5 fields before node binding)
 *   state.lock   empty; locked while one of the files above is read-modified-written
 * </pre>
 * Nothing is cached: every call reads the files, so several stores over one directory see each
 * other's writes. Files are replaced atomically ({@link SecureFiles}), so a read sees a whole file;
 * every read-modify-write runs under a lock per directory inside the JVM and an exclusive
 * {@link FileLock} on {@code state.lock} across processes. That makes it safe for several processes
 * on one host (or on a file system with working POSIX locks); it is NOT meant for Security Servers
 * on different hosts sharing a network file system (use a database store there).
 */
public final class FileCaStateStore implements CaStateStore {

    static final String INDEX = "issued.db";
    static final String CRL_NUMBER = "crl.number";
    static final String CRL = "crl.pem";
    static final String TOKENS = "join-tokens";
    static final String LOCK = "state.lock";

    private static final String INDEX_HEADER =
            "# DSI CA index: serial role snid notBefore notAfter revokedAt reason name\n";
    private static final String TOKENS_HEADER =
            "# DSI join tokens: sha256(token) created expires used name snid replace|-\n";
    /** One lock per directory (real path) for all stores of this JVM: a FileLock does not exclude threads. */
    private static final Map<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path tokenFile;

    /** The store in {@code caDir} (the files need not exist yet). */
    public FileCaStateStore(Path caDir) {
        this(caDir, caDir.resolve(TOKENS));
    }

    /** Like {@link #FileCaStateStore(Path)} with the token records in {@code tokenFile} (the lock file stays in {@code caDir}). */
    public FileCaStateStore(Path caDir, Path tokenFile) {
        this.dir = caDir.toAbsolutePath().normalize();
        this.tokenFile = tokenFile.toAbsolutePath().normalize();
    }

    public Path directory() {
        return dir;
    }

    /**
     * Empties the index and forgets the CRL and its counter (tokens stay): what a newly created root
     * starts from, as in every earlier version.
     */
    public void reset() {
        mutate("reset the CA state", () -> {
            writeIndex(new LinkedHashMap<>());
            Files.deleteIfExists(dir.resolve(CRL_NUMBER));
            Files.deleteIfExists(dir.resolve(CRL));
            return null;
        });
    }

    // ------------------------------------------------------------------ join tokens

    @Override
    public void putToken(TokenRecord token) {
        mutate("store a join token", () -> {
            Map<String, TokenRecord> all = readTokens();
            if (all.containsKey(token.hash())) {
                throw new IllegalStateException("a join token with hash " + token.hash().substring(0, 8) + "... exists");
            }
            all.put(token.hash(), token);
            writeTokens(all);
            return null;
        });
    }

    @Override
    public Optional<TokenRecord> token(String hash) {
        return Optional.ofNullable(readTokens().get(hash));
    }

    @Override
    public boolean markRedeemed(String hash, Instant at) {
        return mutate("redeem a join token", () -> {
            Map<String, TokenRecord> all = readTokens();
            TokenRecord r = all.get(hash);
            if (r == null || r.redeemed() || !at.isBefore(r.expiresAt())) {
                return false;
            }
            all.put(hash, new TokenRecord(r.hash(), r.label(), r.snid(), r.replace(), r.createdAt(), r.expiresAt(), at));
            writeTokens(all);
            return true;
        });
    }

    @Override
    public List<TokenRecord> tokens() {
        return List.copyOf(readTokens().values());
    }

    @Override
    public void purgeTokens(Instant before) {
        mutate("purge join tokens", () -> {
            Map<String, TokenRecord> all = readTokens();
            if (all.values().removeIf(r -> r.expiresAt().isBefore(before))) {
                writeTokens(all);
            }
            return null;
        });
    }

    private Map<String, TokenRecord> readTokens() {
        Map<String, TokenRecord> out = new LinkedHashMap<>();
        for (String line : lines(tokenFile)) {
            String[] f = line.split(" ", -1);
            if (f.length != 5 && f.length != 7) { // 5: written before tokens were bound to a node
                throw new PkiException("corrupted token file " + tokenFile + ": '" + line + "'");
            }
            out.put(f[0], new TokenRecord(f[0], f[4], f.length == 7 ? Integer.parseInt(f[5]) : 0,
                    f.length == 7 && f[6].equals("replace"), Instant.parse(f[1]), Instant.parse(f[2]),
                    f[3].equals("-") ? null : Instant.parse(f[3])));
        }
        return out;
    }

    private void writeTokens(Map<String, TokenRecord> all) throws IOException {
        StringBuilder sb = new StringBuilder(TOKENS_HEADER);
        for (TokenRecord r : all.values()) {
            sb.append(r.hash()).append(' ').append(r.createdAt()).append(' ').append(r.expiresAt()).append(' ')
                    .append(r.redeemedAt() == null ? "-" : r.redeemedAt().toString()).append(' ').append(r.label())
                    .append(' ').append(r.snid()).append(' ').append(r.replace() ? "replace" : "-").append('\n');
        }
        SecureFiles.writeAtomic(tokenFile, sb.toString());
    }

    // ------------------------------------------------------------------ issued certificates

    @Override
    public void addIssued(IssuedCertificate certificate) {
        mutate("record an issued certificate", () -> {
            Map<BigInteger, IssuedCertificate> index = readIndex();
            if (index.containsKey(certificate.serial())) {
                throw new IllegalStateException("certificate " + certificate.serial().toString(16) + " is already recorded");
            }
            index.put(certificate.serial(), certificate);
            writeIndex(index);
            return null;
        });
    }

    @Override
    public boolean markRevoked(BigInteger serial, Instant at, CRLReason reason) {
        return mutate("revoke a certificate", () -> {
            Map<BigInteger, IssuedCertificate> index = readIndex();
            IssuedCertificate r = index.get(serial);
            if (r == null || r.revoked()) {
                return false;
            }
            index.put(serial, new IssuedCertificate(r.serial(), r.role(), r.snid(), r.nodeName(), r.notBefore(),
                    r.notAfter(), at, reason));
            writeIndex(index);
            return true;
        });
    }

    @Override
    public List<IssuedCertificate> issued() {
        return List.copyOf(readIndex().values());
    }

    @Override
    public Optional<IssuedCertificate> issued(BigInteger serial) {
        return Optional.ofNullable(readIndex().get(serial));
    }

    private Map<BigInteger, IssuedCertificate> readIndex() {
        Path idx = dir.resolve(INDEX);
        Map<BigInteger, IssuedCertificate> out = new LinkedHashMap<>();
        for (String line : lines(idx)) {
            String[] f = line.split(" ", -1);
            if (f.length != 8) {
                throw new PkiException("corrupted CA index " + idx + ": '" + line + "'");
            }
            BigInteger serial = new BigInteger(f[0], 16);
            out.put(serial, new IssuedCertificate(serial, CertificateRole.valueOf(f[1]), Integer.parseUnsignedInt(f[2]),
                    f[7], Instant.parse(f[3]), Instant.parse(f[4]), f[5].equals("-") ? null : Instant.parse(f[5]),
                    f[6].equals("-") ? null : CRLReason.valueOf(f[6])));
        }
        return out;
    }

    private void writeIndex(Map<BigInteger, IssuedCertificate> index) throws IOException {
        StringBuilder sb = new StringBuilder(INDEX_HEADER);
        for (IssuedCertificate r : index.values()) {
            sb.append(r.serial().toString(16)).append(' ').append(r.role()).append(' ')
                    .append(Integer.toUnsignedString(r.snid())).append(' ').append(r.notBefore()).append(' ')
                    .append(r.notAfter()).append(' ').append(r.revokedAt() == null ? "-" : r.revokedAt().toString())
                    .append(' ').append(r.reason() == null ? "-" : r.reason().name()).append(' ').append(r.nodeName())
                    .append('\n');
        }
        SecureFiles.writeAtomic(dir.resolve(INDEX), sb.toString());
    }

    // ------------------------------------------------------------------ CRL

    @Override
    public BigInteger nextCrlNumber() {
        return mutate("reserve a CRL number", () -> {
            Path num = dir.resolve(CRL_NUMBER);
            BigInteger last = Files.exists(num)
                    ? new BigInteger(Files.readString(num, StandardCharsets.UTF_8).trim())
                    : BigInteger.ZERO;
            // a crl.pem numbered past the counter (copied in, or older versions) is never numbered again
            BigInteger stored = storedCrlNumber();
            BigInteger next = last.max(stored).add(BigInteger.ONE);
            SecureFiles.writeAtomic(num, next + "\n");
            return next;
        });
    }

    @Override
    public boolean putCrl(BigInteger number, String pem) {
        return mutate("store the CRL", () -> {
            if (storedCrlNumber().compareTo(number) >= 0) {
                return false;
            }
            SecureFiles.writeAtomic(dir.resolve(CRL), pem);
            return true;
        });
    }

    @Override
    public Optional<String> crl() {
        Path file = dir.resolve(CRL);
        try {
            return Files.exists(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The number of the stored CRL; -1 when there is none or it cannot be read (so it is replaced). */
    private BigInteger storedCrlNumber() {
        Optional<String> pem = crl();
        if (pem.isEmpty()) {
            return BigInteger.ONE.negate();
        }
        try {
            return Pki.crlNumber(Pem.parseCrl(pem.get()));
        } catch (PkiException e) {
            return BigInteger.ONE.negate();
        }
    }

    // ------------------------------------------------------------------ files and locking

    private static List<String> lines(Path file) {
        try {
            if (!Files.exists(file)) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    out.add(line);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private interface Step<T> {
        T run() throws IOException;
    }

    /** Runs a read-modify-write step holding this directory's lock (threads) and the lock file (processes). */
    private <T> T mutate(String what, Step<T> step) {
        try {
            SecureFiles.ensureDirectory(dir);
            ReentrantLock local = LOCKS.computeIfAbsent(dir.toRealPath(), k -> new ReentrantLock());
            local.lock();
            try (FileChannel ch = FileChannel.open(dir.resolve(LOCK), Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE), ownerOnly(dir)); FileLock held = ch.lock()) {
                return step.run();
            } finally {
                local.unlock();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot " + what + " in " + dir, e);
        }
    }

    private static FileAttribute<?>[] ownerOnly(Path dir) throws IOException {
        return Files.getFileStore(dir).supportsFileAttributeView("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(SecureFiles.FILE_600)}
                : new FileAttribute<?>[0];
    }
}
