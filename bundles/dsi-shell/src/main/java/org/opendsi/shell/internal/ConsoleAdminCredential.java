package org.opendsi.shell.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;
import java.util.Properties;

import org.opendsi.keys.SecureFiles;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * No well-known console password: the distribution ships {@code etc/users.properties} without any
 * user, and at the first start this component creates one administrator with a random password
 * (printed once on the console) and an RSA key pair for key login (the public key in
 * {@code etc/keys.properties}), both kept in owner-only files of {@code credential.dir}; scripts log in
 * with the key ({@code bin/client -k}), so the password never shows in a process list. Nothing happens
 * when a user exists already (the operator's own, or the one made at an earlier start), so it never
 * overwrites a credential. Karaf's JAAS encryption ({@code etc/org.apache.karaf.jaas.cfg}) replaces
 * the password in {@code users.properties} by its digest.
 */
@Component(service = {}, immediate = true, configurationPid = ConsoleAdminCredential.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ConsoleAdminCredential.Config.class)
public final class ConsoleAdminCredential {

    public static final String PID = "org.opendsi.console";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleAdminCredential.class);
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    /** 24 characters of a 57-letter alphabet: about 140 bits. */
    private static final int PASSWORD_LENGTH = 24;
    private static final SecureRandom RANDOM = new SecureRandom();

    @ObjectClassDefinition(name = "DSI console administrator",
            description = "The administrator created at the first start when etc/users.properties has no user")
    public @interface Config {
        @AttributeDefinition(description = "Name of the administrator created at the first start")
        String admin_user() default "admin";

        @AttributeDefinition(description = "Where its password (USER.password) and private key (USER.key) are "
                + "kept, owner-only; empty: ${karaf.etc}/dsi/console")
        String credential_dir() default "";
    }

    /** What the first start created. */
    record Created(String password, Path passwordFile, Path keyFile) {
    }

    @Activate
    void activate(Config config) {
        Path etc = Path.of(System.getProperty("karaf.etc", "etc"));
        Path dir = config.credential_dir().isBlank() ? etc.resolve("dsi/console") : Path.of(config.credential_dir());
        try {
            ensureAdmin(etc.resolve("users.properties"), etc.resolve("keys.properties"), dir, config.admin_user())
                    .ifPresent(c -> announce(System.out, config.admin_user(), c));
        } catch (IOException | RuntimeException e) {
            LOG.error("DSI console: could not create the administrator in {}: {}; nobody can log in over SSH "
                    + "until a user is added to etc/users.properties", etc.resolve("users.properties"), e.toString());
        }
    }

    /**
     * When {@code users} holds no user at all: writes a new random password and a new RSA private key to
     * {@code dir} (USER.password, USER.key: 600, in a 700 directory), then adds {@code user} with that
     * password to {@code users} and with that public key to {@code keys} (both left 600).
     *
     * @return what was created, or empty when a user existed
     */
    static Optional<Created> ensureAdmin(Path users, Path keys, Path dir, String user) throws IOException {
        if (!user.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("admin.user '" + user + "' is not a plain user name");
        }
        String current = read(users);
        if (hasUser(current)) {
            return Optional.empty();
        }
        String password = newPassword();
        KeyPair pair = OpenSshKeys.newRsaKeyPair();
        // the credential files first: a crash in between leaves credentials nobody can use, never a user
        // whose credentials nobody knows
        Path passwordFile = dir.resolve(user + ".password");
        Path keyFile = dir.resolve(user + ".key");
        SecureFiles.writeAtomic(passwordFile, (password + "\n").getBytes(StandardCharsets.US_ASCII));
        SecureFiles.writeAtomic(keyFile, OpenSshKeys.privateKeyFile(pair, user + "@dsi-console")
                .getBytes(StandardCharsets.US_ASCII));
        SecureFiles.writeAtomicInSharedFolder(keys, append(read(keys), user + "="
                + OpenSshKeys.publicBlob((RSAPublicKey) pair.getPublic()) + ",_g_:admingroup"));
        SecureFiles.writeAtomicInSharedFolder(users, append(current, user + " = " + password + ",_g_:admingroup"));
        return Optional.of(new Created(password, passwordFile, keyFile));
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    }

    private static byte[] append(String text, String line) {
        String next = text.isEmpty() || text.endsWith("\n") ? text + line + "\n" : text + "\n" + line + "\n";
        return next.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Whether a users.properties text defines a user (any key that is not a {@code _g_:} group). */
    static boolean hasUser(String usersProperties) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(usersProperties));
        return p.stringPropertyNames().stream().anyMatch(k -> !k.startsWith("_g_:"));
    }

    static String newPassword() {
        StringBuilder b = new StringBuilder(PASSWORD_LENGTH);
        for (int i = 0; i < PASSWORD_LENGTH; i++) {
            b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    /** Shown once, on the console of the first start; the log names the files, never the password. */
    private static void announce(PrintStream console, String user, Created c) {
        console.println();
        console.println("DSI: created the console administrator '" + user + "' with the password " + c.password());
        console.println("DSI: it is kept in " + c.passwordFile().toAbsolutePath() + ", and a key for scripts "
                + "(bin/client -u " + user + " -k FILE) in " + c.keyFile().toAbsolutePath() + ": readable by their owner only.");
        console.println("DSI: SSH listens on 127.0.0.1 only. Add your own RSA public key to etc/keys.properties for key login.");
        console.println();
        LOG.warn("DSI console: created the administrator '{}'; its password is in {} and its key in {} (the password "
                + "is shown once on the console)", user, c.passwordFile().toAbsolutePath(), c.keyFile().toAbsolutePath());
    }
}
