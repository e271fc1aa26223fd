package org.opendsi.dsm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.opendsi.dsm.DsmProcess;

/**
 * Lists the processes of a node's security contexts: walks the context cgroups
 * (&lt;cgroup root&gt;/scid-N and any cgroups below them), reads their cgroup.procs and each
 * process's /proc/PID/comm and cmdline. Processes that exit meanwhile are skipped.
 */
public final class ProcessLister {

    private static final Pattern CONTEXT_DIR = Pattern.compile("scid-(\\d{1,10})");

    private final Path cgroupRoot;
    private final Path procRoot;

    public ProcessLister(Path cgroupRoot, Path procRoot) {
        this.cgroupRoot = cgroupRoot;
        this.procRoot = procRoot;
    }

    /** The ScID named by a context cgroup directory ("scid-10" -> 10), or -1. */
    static long scidOf(String dirName) {
        Matcher m = CONTEXT_DIR.matcher(dirName);
        if (!m.matches()) {
            return -1;
        }
        long v = Long.parseLong(m.group(1));
        return v > 0xFFFFFFFFL ? -1 : v;
    }

    public List<DsmProcess> list() throws IOException {
        List<DsmProcess> out = new ArrayList<>();
        if (!Files.isDirectory(cgroupRoot)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(cgroupRoot, Files::isDirectory)) {
            for (Path dir : dirs) {
                long scid = scidOf(dir.getFileName().toString());
                if (scid >= 0) {
                    collect(dir, (int) scid, out, 0);
                }
            }
        }
        out.sort(Comparator.comparingLong((DsmProcess p) -> Integer.toUnsignedLong(p.scid()))
                .thenComparingInt(DsmProcess::pid));
        return out;
    }

    private void collect(Path cgroup, int scid, List<DsmProcess> out, int depth) throws IOException {
        if (depth > 32) {
            return;
        }
        List<String> pids;
        try {
            pids = Files.readAllLines(cgroup.resolve("cgroup.procs"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            pids = List.of();
        }
        for (String line : pids) {
            String s = line.trim();
            if (s.isEmpty()) {
                continue;
            }
            int pid;
            try {
                pid = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                continue;
            }
            Path proc = procRoot.resolve(Integer.toString(pid));
            try {
                String comm = Files.readString(proc.resolve("comm"), StandardCharsets.UTF_8).strip();
                byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
                out.add(new DsmProcess(pid, scid, comm, cmdline(raw)));
            } catch (NoSuchFileException e) {
                // exited meanwhile
            } catch (IOException e) {
                // ESRCH while reading a dying process: skip it as well
                if (Files.exists(proc)) {
                    throw e;
                }
            }
        }
        try (DirectoryStream<Path> subs = Files.newDirectoryStream(cgroup, Files::isDirectory)) {
            for (Path sub : subs) {
                collect(sub, scid, out, depth + 1);
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        }
    }

    static String cmdline(byte[] raw) {
        int end = raw.length;
        while (end > 0 && raw[end - 1] == 0) {
            end--;
        }
        byte[] copy = new byte[end];
        for (int i = 0; i < end; i++) {
            copy[i] = raw[i] == 0 ? (byte) ' ' : raw[i];
        }
        return new String(copy, StandardCharsets.UTF_8);
    }
}
