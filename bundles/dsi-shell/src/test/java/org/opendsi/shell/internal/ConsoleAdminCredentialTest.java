package org.opendsi.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleAdminCredentialTest {

    private static final String SHIPPED = "# comment\n_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n"
            + "_g_\\:viewergroup = group,viewer,ssh\n";

    @TempDir
    Path tmp;

    @Test
    void firstStartCreatesOneAdminWithARandomPasswordAndAKeyInOwnerOnlyFiles() throws Exception {
        Path users = tmp.resolve("etc/users.properties");
        Path keys = tmp.resolve("etc/keys.properties");
        Path dir = tmp.resolve("etc/dsi/console");
        Files.createDirectories(users.getParent());
        Files.writeString(users, SHIPPED);
        Files.writeString(keys, "# shipped\n_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n");

        ConsoleAdminCredential.Created c = ConsoleAdminCredential.ensureAdmin(users, keys, dir, "admin").orElseThrow();

        assertEquals(24, c.password().length());
        assertEquals(dir.resolve("admin.password"), c.passwordFile());
        assertEquals(c.password() + "\n", Files.readString(c.passwordFile()));
        Properties u = load(users);
        assertEquals(c.password() + ",_g_:admingroup", u.getProperty("admin"));
        assertEquals("group,viewer,ssh", u.getProperty("_g_:viewergroup"), "the shipped groups are kept");
        Properties k = load(keys);
        assertTrue(k.getProperty("admin").matches("AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+,_g_:admingroup"), k.toString());
        assertTrue(Files.readString(c.keyFile()).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        for (Path f : new Path[] {c.passwordFile(), c.keyFile(), users, keys}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void thePrivateKeyFileIsOneOpenSshReadsAndMatchesThePublicKey() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/ssh-keygen")),
                "SKIPPED: /usr/bin/ssh-keygen (Debian package openssh-client) is not installed");
        Path users = tmp.resolve("users.properties");
        Path keys = tmp.resolve("keys.properties");
        ConsoleAdminCredential.Created c = ConsoleAdminCredential.ensureAdmin(users, keys, tmp.resolve("c"), "admin")
                .orElseThrow();
        Process p = new ProcessBuilder("/usr/bin/ssh-keygen", "-y", "-f", c.keyFile().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String blob = load(keys).getProperty("admin").split(",")[0];
        assertEquals("ssh-rsa " + blob, out.split(" ")[0] + " " + out.split(" ")[1]);
    }

    @Test
    void laterStartsAndOperatorUsersAreLeftAlone() throws Exception {
        Path users = tmp.resolve("users.properties");
        Path keys = tmp.resolve("keys.properties");
        Path dir = tmp.resolve("console");
        Files.writeString(users, SHIPPED);
        ConsoleAdminCredential.Created first = ConsoleAdminCredential.ensureAdmin(users, keys, dir, "admin").orElseThrow();
        String usersAfter = Files.readString(users);
        String keysAfter = Files.readString(keys);
        assertTrue(ConsoleAdminCredential.ensureAdmin(users, keys, dir, "admin").isEmpty(), "second start");
        assertEquals(usersAfter, Files.readString(users));
        assertEquals(keysAfter, Files.readString(keys));
        assertEquals(first.password() + "\n", Files.readString(first.passwordFile()));

        Path own = tmp.resolve("own.properties");
        Files.writeString(own, SHIPPED + "alice = {CRYPT}abc{CRYPT},_g_:admingroup\n");
        assertTrue(ConsoleAdminCredential.ensureAdmin(own, tmp.resolve("k2"), tmp.resolve("x"), "admin").isEmpty());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void passwordsDifferAndNamesAreChecked() {
        assertNotEquals(ConsoleAdminCredential.newPassword(), ConsoleAdminCredential.newPassword());
        assertThrows(IllegalArgumentException.class, () -> ConsoleAdminCredential.ensureAdmin(tmp.resolve("u"),
                tmp.resolve("k"), tmp.resolve("c"), "evil = x,_g_:admingroup\nmallory"));
    }

    private static Properties load(Path file) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.ISO_8859_1)));
        return p;
    }
}
