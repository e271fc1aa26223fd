package org.opendsi.itests.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server for process tests, started by the project's scripts/postgres.sh (Debian's
 * package, as nobody, a private loopback port, a throwaway directory). {@link #unavailable()} says why
 * it cannot run here (the test is then skipped with that reason).
 */
public final class TestPostgres implements AutoCloseable {

    private static final Path SCRIPT = Path.of(System.getProperty("dsi.postgres.script", "../scripts/postgres.sh"));
    private final Path dir;
    private final int port;

    private TestPostgres(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Why no server can be started here, or null. */
    public static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root (the server runs as nobody)";
        }
        if (!Files.isExecutable(SCRIPT)) {
            return "no " + SCRIPT.toAbsolutePath();
        }
        if (!Files.isDirectory(Path.of("/usr/lib/postgresql"))) {
            return "no PostgreSQL server installed (./dsi setup installs Debian's postgresql)";
        }
        return null;
    }

    public static TestPostgres start(Path workDir) throws Exception {
        Files.createDirectories(workDir);
        Path dir = workDir.resolve("postgres").toAbsolutePath();
        run("stop", dir.toString()); // leftovers of an interrupted run
        return new TestPostgres(dir, Integer.parseInt(run("start", dir.toString()).trim()));
    }

    public int port() {
        return port;
    }

    /**
     * A database owned by a new role; its password goes to {@code passwordFile}, owner-only and without a
     * trailing newline (pax-jdbc's FILE() reads the whole file).
     */
    public void database(String name, Path passwordFile) throws Exception {
        String password = UUID.randomUUID().toString();
        Path forScript = dir.resolve(name + ".pw");
        Files.writeString(forScript, password + "\n");
        run("database", dir.toString(), name, name, forScript.toString());
        Files.deleteIfExists(forScript);
        Files.deleteIfExists(passwordFile);
        Files.createFile(passwordFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passwordFile, password);
    }

    /** The pax-jdbc configuration (etc/org.ops4j.datasource-dsi-ss.cfg) of a Security Server using it. */
    public String dataSourceConfig(String database, Path passwordFile) {
        return String.join("\n",
                "osgi.jdbc.driver.name = PostgreSQL JDBC Driver",
                "dataSourceName = dsi-ss",
                "url = jdbc:postgresql://127.0.0.1:" + port + "/" + database,
                "user = " + database,
                ".password = FILE(" + passwordFile.toAbsolutePath() + ")",
                "pool = hikari",
                "xa = false",
                "hikari.maximumPoolSize = 8",
                "hikari.minimumIdle = 2",
                "hikari.connectionTimeout = 2000",
                "hikari.poolName = dsi-ss", "");
    }

    /** Runs SQL as the superuser; returns the unaligned result. */
    public String sql(String database, String query) throws Exception {
        return run("psql", dir.toString(), "-d", database, "-tAc", query).trim();
    }

    /** Fast shutdown, {@code downSeconds} without a server, start again on the same port. */
    public void restart(int downSeconds) throws Exception {
        run("restart", dir.toString(), Integer.toString(downSeconds));
    }

    private static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(SCRIPT.toAbsolutePath().toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        run("stop", dir.toString());
    }
}
