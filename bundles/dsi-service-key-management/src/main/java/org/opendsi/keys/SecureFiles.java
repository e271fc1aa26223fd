package org.opendsi.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The one writer of owner-only files (key stores, secrets, token records, console credentials).
 * Owner-only files: directories are created 700 and files 600 from the start (never created with
 * wider permissions and narrowed afterwards); writes go to a 600 temporary file in the same
 * directory and are moved atomically over the target, so a crash leaves either the old or the new
 * content. On a file system without POSIX permissions the files are written without them.
 */
public final class SecureFiles {

    public static final Set<PosixFilePermission> DIR_700 = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE_600 = PosixFilePermissions.fromString("rw-------");

    private static final SecureRandom RANDOM = new SecureRandom();

    private SecureFiles() {
    }

    /** Creates {@code dir} (and missing parents) and makes sure {@code dir} itself is 700. */
    public static Path ensureDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                if (posix(parent)) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_700));
                } else {
                    Files.createDirectory(dir);
                }
            } catch (FileAlreadyExistsException e) {
                // created concurrently; permissions are fixed below
            }
        }
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, DIR_700);
        }
        return dir;
    }

    /** Atomically replaces {@code file} with {@code data}; the file is 600 from its creation, its folder 700. */
    public static void writeAtomic(Path file, byte[] data) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        ensureDirectory(dir);
        replace(file, dir, data);
    }

    /**
     * Like {@link #writeAtomic(Path, byte[])} for an owner-only file in a shared folder (e.g. Karaf's
     * {@code etc/}): the folder's permissions are left as they are.
     */
    public static void writeAtomicInSharedFolder(Path file, byte[] data) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        replace(file, dir, data);
    }

    private static void replace(Path file, Path dir, byte[] data) throws IOException {
        FileAttribute<?>[] attrs = posix(dir)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_600)}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attrs);
        try {
            Files.write(tmp, data, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.SYNC);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (posix(file)) {
            Files.setPosixFilePermissions(file, FILE_600);
        }
        // the rename is durable only once the folder is
        try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // some file systems cannot fsync a directory; the rename is still atomic
        }
    }

    public static void writeAtomic(Path file, String text) throws IOException {
        writeAtomic(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads the secret in {@code file} or, when it does not exist, creates it (600) with 256 random
     * bits, base64url-encoded. Refuses a secret file that group or others may read.
     */
    public static char[] loadOrCreateSecret(Path file) throws IOException {
        if (Files.exists(file)) {
            if (posix(file)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                for (PosixFilePermission p : perms) {
                    if (!FILE_600.contains(p)) {
                        throw new IOException("secret file " + file + " has permissions "
                                + PosixFilePermissions.toString(perms) + "; it must be readable by its owner only (600)");
                    }
                }
            }
            String s = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (s.isEmpty()) {
                throw new IOException("secret file " + file + " is empty");
            }
            return s.toCharArray();
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        writeAtomic(file, secret + "\n");
        return secret.toCharArray();
    }

    private static boolean posix(Path p) {
        try {
            return p != null && Files.getFileStore(Files.exists(p) ? p : p.getParent())
                    .supportsFileAttributeView("posix");
        } catch (IOException | NullPointerException e) {
            return false;
        }
    }
}
