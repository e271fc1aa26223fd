package org.opendsi.ss.postgres.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server for the store's tests, started by the project's own {@code scripts/postgres.sh}
 * (Debian's package, as nobody, a private loopback port, a throwaway directory) and stopped afterwards.
 * Without root or the package the tests are skipped with that reason printed, never passed.
 */
final class TestPostgres implements AutoCloseable {

    private final Path script;
    private final Path dir;
    final int port;
    private int databases;

    private TestPostgres(Path script, Path dir, int port) {
        this.script = script;
        this.dir = dir;
        this.port = port;
    }

    static TestPostgres start() throws Exception {
        Path script = Path.of(System.getProperty("dsi.postgres.script", "../../scripts/postgres.sh"));
        String why = null;
        if (!"root".equals(System.getProperty("user.name"))) {
            why = "needs root (the server runs as nobody)";
        } else if (!Files.isExecutable(script)) {
            why = "no " + script;
        } else if (!Files.isDirectory(Path.of("/usr/lib/postgresql"))) {
            why = "no PostgreSQL server installed (./dsi setup installs Debian's postgresql)";
        }
        if (why != null) {
            System.out.println("SKIP PostgreSQL store tests: " + why);
            Assumptions.abort("PostgreSQL store tests: " + why);
        }
        Path dir = Files.createTempDirectory("dsi-pg-store-test");
        String out = run(script, "start", dir.toString());
        return new TestPostgres(script, dir, Integer.parseInt(out.trim()));
    }

    /** A fresh database owned by a fresh role, and a data source logging in as that role. */
    DataSource newDatabase() throws Exception {
        String name = "ss" + (++databases);
        String password = UUID.randomUUID().toString();
        Path pw = dir.resolve(name + ".pw");
        Files.writeString(pw, password + "\n");
        run(script, "database", dir.toString(), name, name, pw.toString());
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(name);
        ds.setUser(name);
        ds.setPassword(password);
        ds.setConnectTimeout(5);
        try (Connection c = ds.getConnection()) {
            c.isValid(2);
        }
        return ds;
    }

    /** Stops the server, leaves it down for {@code downSeconds}, starts it again on the same port. */
    void restart(int downSeconds) throws IOException, InterruptedException {
        run(script, "restart", dir.toString(), Integer.toString(downSeconds));
    }

    private static String run(Path script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(script.toAbsolutePath().toString());
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
        run(script, "stop", dir.toString());
    }

    static void quietly(SqlRunnable r) {
        try {
            r.run();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static void quietlyIo(IoRunnable r) {
        try {
            r.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    interface IoRunnable {
        void run() throws IOException, InterruptedException;
    }

    interface SqlRunnable {
        void run() throws SQLException;
    }
}
