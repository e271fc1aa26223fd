package org.opendsi.dsm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Test helper: finds gcc and runs it; tests skip with the reason when it is absent. */
final class Gcc {

    private Gcc() {
    }

    static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "gcc");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The header under test: -Ddsm.header (set by the pom), else the repository path. */
    static Path header() {
        String h = System.getProperty("dsm.header");
        return h != null ? Path.of(h) : Path.of("../../kernel/dsm/include/dsm.h").toAbsolutePath().normalize();
    }

    static Path workDir(String name) throws IOException {
        Path base = Path.of(System.getProperty("dsm.test.work", "target/dsm-test")).toAbsolutePath();
        Path d = base.resolve(name);
        Files.createDirectories(d);
        return d;
    }

    /** Runs a command, returns stdout; throws with the output when it fails. */
    static String run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n" + text);
        }
        return text;
    }

    static List<String> cmd(Object... parts) {
        List<String> l = new ArrayList<>();
        for (Object o : parts) {
            l.add(o.toString());
        }
        return l;
    }
}
