package org.opendsi.auth.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
 * A small Unix domain stream socket server on JNA (Java's own Unix sockets do not give the peer's
 * pid): one request per connection, the caller identified by {@code SO_PEERCRED}, a bounded request
 * size, a read deadline, a bounded worker pool (connections beyond it are refused at once).
 */
final class UnixSocketServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketServer.class);

    /** The caller as the kernel reports it, and what it sent. */
    record Request(int pid, int uid, int gid, byte[] body) {
    }

    /** Produces the response for one request; never throws for a refusal (it returns the refusal text). */
    interface Handler {
        String handle(Request request);

        /** Whether {@code body} is a complete request (the reader stops there without waiting for EOF). */
        default boolean complete(byte[] body, int len) {
            return false;
        }
    }

    private final Path path;
    private final int maxRequest;
    private final Duration readTimeout;
    private final Handler handler;
    private final ThreadPoolExecutor workers;
    private final int listenFd;
    private final Thread acceptor;
    private volatile boolean running = true;
    private final AtomicInteger served = new AtomicInteger();

    /**
     * Binds and listens on {@code path} (a stale socket file there is replaced), sets {@code mode}
     * (e.g. {@code rw-rw-rw-}) and starts accepting.
     */
    UnixSocketServer(Path path, String mode, int maxRequest, Duration readTimeout, int threads, Handler handler)
            throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("the Unix socket server supports little-endian Linux only");
        }
        this.path = path.toAbsolutePath();
        this.maxRequest = maxRequest;
        this.readTimeout = readTimeout;
        this.handler = handler;
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
            Files.setPosixFilePermissions(this.path, PosixFilePermissions.fromString(mode));
        } catch (IOException | RuntimeException e) {
            c.close(fd);
            Files.deleteIfExists(this.path);
            throw e instanceof IOException io ? io : new IOException("socket.mode '" + mode + "': " + e.getMessage(), e);
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
        try {
            int[] cred = new int[3];
            int[] len = {12};
            if (c.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PEERCRED, cred, len) != 0 || cred[0] <= 0) {
                reply(fd, "ERROR cannot identify the calling process (SO_PEERCRED failed)\n");
                return;
            }
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
                response = handler.handle(new Request(cred[0], cred[1], cred[2], body.toByteArray()));
            } catch (RuntimeException e) {
                LOG.warn("Request of pid {} failed", cred[0], e);
                response = "ERROR internal error: " + e.getMessage() + "\n";
            }
            reply(fd, response);
        } finally {
            c.close(fd);
        }
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
