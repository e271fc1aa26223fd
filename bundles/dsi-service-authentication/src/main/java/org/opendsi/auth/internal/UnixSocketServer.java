package org.opendsi.auth.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small Unix domain stream socket server on JNA (Java's own Unix sockets give neither the peer's
 * pid nor a pidfd): one request per connection, the caller identified by the kernel when it
 * connected ({@code SO_PEERCRED}, {@code SO_PEERPIDFD}, its context recorded at connect()), a
 * bounded request size, a read deadline, a bounded worker pool (connections beyond it are refused at
 * once). The socket file is {@code rw-rw----}, owned by a configured group.
 */
final class UnixSocketServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServer.class);

    /** The caller as the kernel reported it when it connected, and what it sent. */
    record Request(Caller caller, byte[] body) {
        int pid() {
            return caller.pid();
        }

        int uid() {
            return caller.uid();
        }
    }

    /**
     * The process that connected: held through a pidfd, so that its pid cannot pass to another
     * process unnoticed, with its context as it was at connect() (or why that is unknown).
     */
    static final class Caller {
        private final int pid;
        private final int uid;
        private final int pidfd;
        private final int contextAtConnect;
        private final String unknownContext;

        Caller(int pid, int uid, int pidfd, int contextAtConnect, String unknownContext) {
            this.pid = pid;
            this.uid = uid;
            this.pidfd = pidfd;
            this.contextAtConnect = contextAtConnect;
            this.unknownContext = unknownContext;
        }

        int pid() {
            return pid;
        }

        int uid() {
            return uid;
        }

        /** The ScID the process was in when it connected (0: outside every context). */
        int contextAtConnect() {
            if (unknownContext != null) {
                throw new IllegalStateException(unknownContext);
            }
            return contextAtConnect;
        }

        /** Whether the process that connected still exists (then its pid still names it). */
        boolean alive() {
            if (pidfd < 0) {
                return false;
            }
            return LibC.INSTANCE.syscall(LibC.SYS_PIDFD_SEND_SIGNAL, pidfd, 0, null, 0) == 0;
        }
    }

    /** Where the context of the process that connected comes from (the DSM's connect records). */
    @FunctionalInterface
    interface ConnectRecords {
        /** The ScID of the process that connected the peer of the accepted socket fd, at its connect(). */
        int contextAtConnect(int fd, int pid);
    }

    /** Produces the response for one request; never throws for a refusal (it returns the refusal text). */
    interface Handler {
        String handle(Request request);

        /** Whether {@code body} is a complete request (the reader stops there without waiting for EOF). */
        default boolean complete(byte[] body, int len) {
            return false;
        }
    }

    static final String MODE = "rw-rw----";

    private final Path path;
    private final int maxRequest;
    private final Duration readTimeout;
    private final Handler handler;
    private final ConnectRecords records;
    private final ThreadPoolExecutor workers;
    private final int listenFd;
    private final Thread acceptor;
    private volatile boolean running = true;
    private final AtomicInteger served = new AtomicInteger();

    /**
     * Binds and listens on {@code path} (a stale socket file there is replaced), makes it
     * {@code rw-rw----} owned by {@code group} (null or blank: this process's group) and starts
     * accepting.
     */
    UnixSocketServer(Path path, String group, int maxRequest, Duration readTimeout, int threads, Handler handler,
            ConnectRecords records) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("the Unix socket server supports little-endian Linux only");
        }
        this.path = path.toAbsolutePath();
        this.maxRequest = maxRequest;
        this.readTimeout = readTimeout;
        this.handler = handler;
        this.records = records;
        byte[] p = this.path.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length > 107) {
            throw new IOException("socket path longer than 107 bytes: " + this.path);
        }
        Files.createDirectories(this.path.getParent());
        if (Files.exists(this.path, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isDirectory(this.path, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(this.path + " is a directory");
            }
            Files.delete(this.path);
        }
        LibC c = LibC.INSTANCE;
        int fd = c.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw error("socket");
        }
        byte[] addr = new byte[2 + p.length + 1];
        addr[0] = LibC.AF_UNIX;
        System.arraycopy(p, 0, addr, 2, p.length);
        if (c.bind(fd, addr, addr.length) != 0) {
            IOException e = error("bind " + this.path);
            c.close(fd);
            throw e;
        }
        if (c.listen(fd, 64) != 0) {
            IOException e = error("listen");
            c.close(fd);
            Files.deleteIfExists(this.path);
            throw e;
        }
        try {
            if (group != null && !group.isBlank()) {
                GroupPrincipal g = this.path.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByGroupName(group.trim());
                Files.getFileAttributeView(this.path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(g);
            }
            Files.setPosixFilePermissions(this.path, PosixFilePermissions.fromString(MODE));
        } catch (IOException | RuntimeException e) {
            c.close(fd);
            Files.deleteIfExists(this.path);
            throw new IOException("socket group '" + group + "': " + e, e);
        }
        this.listenFd = fd;
        this.workers = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(threads * 8),
                r -> {
                    Thread t = new Thread(r, "dsi-auth-worker");
                    t.setDaemon(true);
                    return t;
                });
        this.acceptor = new Thread(this::acceptLoop, "dsi-auth-acceptor " + this.path.getFileName());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    private static IOException error(String what) {
        int errno = Native.getLastError();
        return new IOException(what + ": " + LibC.INSTANCE.strerror(errno) + " (errno " + errno + ")");
    }

    Path path() {
        return path;
    }

    int served() {
        return served.get();
    }

    private void acceptLoop() {
        LibC c = LibC.INSTANCE;
        int[] pfd = new int[2];
        while (running) {
            pfd[0] = listenFd;
            pfd[1] = LibC.POLLIN;
            int n = c.poll(pfd, 1, 250);
            if (!running) {
                break;
            }
            if (n <= 0) {
                continue;
            }
            int fd = c.accept4(listenFd, null, null, LibC.SOCK_CLOEXEC);
            if (fd < 0) {
                continue;
            }
            try {
                workers.execute(() -> serve(fd));
            } catch (RejectedExecutionException e) {
                reply(fd, "ERROR busy: too many pending requests, retry later\n");
                c.close(fd);
            }
        }
    }

    private void serve(int fd) {
        LibC c = LibC.INSTANCE;
        int pidfd = -1;
        try {
            int[] cred = new int[3];
            int[] len = {12};
            if (c.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PEERCRED, cred, len) != 0 || cred[0] <= 0) {
                reply(fd, "ERROR cannot identify the calling process (SO_PEERCRED failed)\n");
                return;
            }
            pidfd = peerPidfd(fd, cred[0]);
            int atConnect = 0;
            String unknown = null;
            try {
                atConnect = records.contextAtConnect(fd, cred[0]);
            } catch (RuntimeException e) {
                unknown = e.getMessage();
            }
            Caller caller = new Caller(cred[0], cred[1], pidfd, atConnect, unknown);
            long[] tv = {1, 0};
            c.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, tv, 16);
            long[] stv = {Math.max(1, readTimeout.toSeconds()), 0};
            c.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDTIMEO, stv, 16);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            long deadline = System.nanoTime() + readTimeout.toNanos();
            while (true) {
                if (System.nanoTime() > deadline) {
                    reply(fd, "ERROR read timeout: send the whole request within " + readTimeout.toMillis() + " ms\n");
                    return;
                }
                long r = c.read(fd, buf, buf.length);
                if (r < 0) {
                    int errno = Native.getLastError();
                    if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
                        continue;
                    }
                    return;
                }
                if (r == 0) {
                    break;
                }
                if (body.size() + r > maxRequest) {
                    reply(fd, "ERROR request larger than " + maxRequest + " bytes\n");
                    return;
                }
                body.write(buf, 0, (int) r);
                if (handler.complete(body.toByteArray(), body.size())) {
                    break;
                }
            }
            served.incrementAndGet();
            String response;
            try {
                response = handler.handle(new Request(caller, body.toByteArray()));
            } catch (RuntimeException e) {
                LOG.warn("Request of pid {} failed", cred[0], e);
                response = "ERROR internal error: " + e.getMessage() + "\n";
            }
            reply(fd, response);
        } finally {
            if (pidfd >= 0) {
                c.close(pidfd);
            }
            c.close(fd);
        }
    }

    /**
     * A pidfd of the process that connected: SO_PEERPIDFD names exactly that process (Linux 6.5);
     * before that, pidfd_open of the SO_PEERCRED pid (that pid could in theory have been reused
     * between the connect and now). -1 when neither works (the caller is then never "alive").
     */
    private static int peerPidfd(int fd, int pid) {
        LibC c = LibC.INSTANCE;
        int[] out = new int[1];
        int[] len = {4};
        if (c.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PEERPIDFD, out, len) == 0 && out[0] >= 0) {
            return out[0];
        }
        int pfd = c.syscall(LibC.SYS_PIDFD_OPEN, pid, 0, null, 0);
        return pfd >= 0 ? pfd : -1;
    }

    private static void reply(int fd, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int off = 0;
        LibC c = LibC.INSTANCE;
        while (off < b.length) {
            byte[] chunk = off == 0 ? b : java.util.Arrays.copyOfRange(b, off, b.length);
            long w = c.write(fd, chunk, chunk.length);
            if (w <= 0) {
                if (w < 0 && Native.getLastError() == LibC.EINTR) {
                    continue;
                }
                return;
            }
            off += (int) w;
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LibC.INSTANCE.close(listenFd);
        workers.shutdown();
        try {
            workers.awaitTermination(readTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("Cannot remove {}: {}", path, e.getMessage());
        }
    }
}
