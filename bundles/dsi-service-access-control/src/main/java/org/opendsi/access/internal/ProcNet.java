package org.opendsi.access.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads the kernel's TCP socket tables ({@code /proc/net/tcp}, {@code tcp6}) of this process's
 * network namespace and finds which process owns a socket (its inode among {@code /proc/PID/fd}).
 * IPv4-mapped IPv6 addresses (Java's dual-stack sockets) are compared as IPv4.
 */
final class ProcNet {

    /** One TCP socket: addresses as the kernel shows them, owner uid, inode. */
    record Entry(InetAddress local, int localPort, InetAddress remote, int remotePort, int uid, long inode) {
        boolean matches(InetSocketAddress l, InetSocketAddress r) {
            return localPort == l.getPort() && remotePort == r.getPort() && same(local, l.getAddress())
                    && same(remote, r.getAddress());
        }
    }

    private final Path proc;

    ProcNet(Path proc) {
        this.proc = proc;
    }

    List<Entry> tcp() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String name : new String[] {"tcp", "tcp6"}) {
            Path f = proc.resolve("net").resolve(name);
            if (Files.isReadable(f)) {
                for (String line : Files.readAllLines(f)) {
                    Entry e = parse(line);
                    if (e != null) {
                        out.add(e);
                    }
                }
            }
        }
        return out;
    }

    /** One line of /proc/net/tcp{,6}; null for the header or a line it does not understand. */
    static Entry parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10 || !f[0].endsWith(":") || !f[1].contains(":")) {
            return null;
        }
        try {
            String[] l = f[1].split(":");
            String[] r = f[2].split(":");
            return new Entry(address(l[0]), Integer.parseInt(l[1], 16), address(r[0]), Integer.parseInt(r[1], 16),
                    Integer.parseInt(f[7]), Long.parseLong(f[9]));
        } catch (RuntimeException | UnknownHostException e) {
            return null;
        }
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) byte order. */
    static InetAddress address(String hex) throws UnknownHostException {
        byte[] b = new byte[hex.length() / 2];
        for (int word = 0; word < b.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                b[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        return InetAddress.getByAddress(b);
    }

    static boolean same(InetAddress a, InetAddress b) {
        return java.util.Arrays.equals(v4(a), v4(b));
    }

    /** IPv4-mapped IPv6 -> the IPv4 bytes; anything else unchanged. */
    private static byte[] v4(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                return new byte[] {b[12], b[13], b[14], b[15]};
            }
        }
        return b;
    }

    Optional<Entry> find(InetSocketAddress local, InetSocketAddress remote) throws IOException {
        return tcp().stream().filter(e -> e.matches(local, remote)).findFirst();
    }

    /** The pid of a process holding the socket inode (the first found), empty when none can be seen. */
    OptionalInt ownerOf(long inode) {
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path pid : pids) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (target.equals(Files.readSymbolicLink(fd).toString())) {
                                return OptionalInt.of(Integer.parseInt(pid.getFileName().toString()));
                            }
                        } catch (IOException | UnsupportedOperationException e) {
                            // fd closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // process gone or not ours to read
                }
            }
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        return OptionalInt.empty();
    }

    /** Whether an address belongs to this node (loopback or one of its interfaces). */
    static boolean isLocal(InetAddress a) {
        byte[] b = v4(a);
        try {
            InetAddress n = InetAddress.getByAddress(b);
            return n.isLoopbackAddress() || n.isAnyLocalAddress() || NetworkInterface.getByInetAddress(n) != null;
        } catch (UnknownHostException | SocketException e) {
            return false;
        }
    }
}
