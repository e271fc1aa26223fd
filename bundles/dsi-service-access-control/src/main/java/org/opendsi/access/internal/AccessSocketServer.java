package org.opendsi.access.internal;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.BiFunction;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision API for local applications: a Unix domain socket, mode 0660 owned by a configured
 * group (default: this process's group), answering one line per request line. Who asks
 * (SO_PEERCRED: its uid, and whether it is root or in the socket's group) goes with each request.
 * Bounded: a limited number of clients at once, 4 KiB per line.
 */
final class AccessSocketServer implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessSocketServer.class);
    static final int MAX_LINE = 4096;

    private final Path path;
    private final String group;
    private final Semaphore slots;
    private final BiFunction<String, Asker, String> handler;
    private volatile String socketGroup;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dsi-access-socket");
        t.setDaemon(true);
        return t;
    });
    private ServerSocketChannel server;

    /** The connecting process: its uid (null when unknown) and whether it is root or a member of the socket's group. */
    record Asker(Integer uid, boolean inGroup) {
    }

    AccessSocketServer(Path path, String group, int maxClients, BiFunction<String, Asker, String> handler) {
        this.path = path;
        this.group = group == null || group.isBlank() ? null : group.trim();
        this.slots = new Semaphore(Math.max(1, maxClients));
        this.handler = handler;
    }

    Path path() {
        return path;
    }

    void start() throws IOException {
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        if (group != null) {
            GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(g);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        socketGroup = Files.readAttributes(path, PosixFileAttributes.class).group().getName();
        Thread acceptor = new Thread(this::acceptLoop, "dsi-access-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("access control decision API listening on {}", path);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.warn("access socket accept failed: {}", e.getMessage());
                }
                return;
            }
            if (!slots.tryAcquire()) {
                try (c) {
                    c.write(java.nio.ByteBuffer.wrap("ERR busy\n".getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException ignored) {
                    // closing anyway
                }
                continue;
            }
            clients.add(c);
            workers.execute(() -> {
                try {
                    serve(c);
                } finally {
                    clients.remove(c);
                    slots.release();
                }
            });
        }
    }

    private void serve(SocketChannel c) {
        try (c; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
            Asker asker = askerOf(c);
            String line;
            while ((line = readLine(in)) != null) {
                if (line.isBlank()) {
                    continue;
                }
                if (line.trim().equalsIgnoreCase("QUIT")) {
                    return;
                }
                String answer = line.length() > MAX_LINE ? "ERR line too long" : handler.apply(line, asker);
                out.write((answer.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (line.length() > MAX_LINE) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debug("access socket client: {}", e.getMessage());
        }
    }

    /** A line without its terminator; a line longer than MAX_LINE is returned truncated to MAX_LINE + 1. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int ch;
        while ((ch = in.read()) >= 0) {
            if (ch == '\n') {
                return b.toString(StandardCharsets.UTF_8).replace("\r", "");
            }
            if (b.size() <= MAX_LINE) {
                b.write(ch);
            } else {
                return b.toString(StandardCharsets.UTF_8);
            }
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    /** The connecting process (SO_PEERCRED); unknown uid and not in the group when it cannot be told. */
    private Asker askerOf(SocketChannel c) {
        try {
            UnixDomainPrincipal p = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            Integer uid = Users.uid(p.user().getName());
            boolean member = uid != null && (uid == 0
                    || Users.inGroup(p.user().getName(), p.group().getName(), socketGroup));
            return new Asker(uid, member);
        } catch (IOException | RuntimeException e) {
            return new Asker(null, false);
        }
    }

    /** The group owning the socket file (the configured one, or this process's). */
    String group() {
        return socketGroup;
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // closing
        }
        for (SocketChannel c : clients) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        workers.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
