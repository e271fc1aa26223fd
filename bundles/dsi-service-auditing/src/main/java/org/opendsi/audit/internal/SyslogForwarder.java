package org.opendsi.audit.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.opendsi.api.audit.AuditRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends audit records to an external log server as RFC 5424 syslog over TCP (RFC 6587
 * octet-counting) or TLS (RFC 5425), from its own thread. A bounded queue absorbs outages;
 * what overflows is counted and reported in a message once the server is back. Reconnects with
 * exponential back-off (1 s doubling up to 60 s).
 */
final class SyslogForwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SyslogForwarder.class);

    /** Where and how to send. */
    record Target(String host, int port, boolean tls, String caFile, int queueMax) {
        @Override
        public String toString() {
            return (tls ? "tls://" : "tcp://") + host + ":" + port;
        }
    }

    private final Target target;
    private final String hostname;
    private final String procId;
    private final BlockingQueue<AuditRecord> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    /** Every journal record up to this sequence number has been written to the log server. */
    private final AtomicLong exported = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Socket socket;
    private volatile String state = "connecting";

    SyslogForwarder(Target target, String hostname) {
        this(target, hostname, 0, List.of());
    }

    /**
     * @param exportedBefore every record up to this one left the node before (e.g. before a restart)
     * @param backlog        journal records after it, sent first (what the queue cannot hold is lost
     *                       to this server and stops the export mark there)
     */
    SyslogForwarder(Target target, String hostname, long exportedBefore, List<AuditRecord> backlog) {
        this.target = target;
        this.exported.set(exportedBefore);
        this.hostname = hostname;
        this.procId = Long.toString(ProcessHandle.current().pid());
        this.queue = new ArrayBlockingQueue<>(Math.max(1, target.queueMax()));
        backlog.forEach(this::offer);
        this.thread = new Thread(this::run, "dsi-audit-syslog " + target);
        thread.setDaemon(true);
        thread.start();
    }

    Target target() {
        return target;
    }

    /** Never blocks: a full queue counts the record as dropped. */
    void offer(AuditRecord r) {
        if (!queue.offer(r)) {
            dropped.incrementAndGet();
        }
    }

    long dropped() {
        return dropped.get();
    }

    long sent() {
        return sent.get();
    }

    /** Every journal record up to this sequence number has left the node (a record lost to the queue stops it). */
    long exportedSeq() {
        return exported.get();
    }

    String state() {
        return state;
    }

    private void run() {
        long backoff = 1000;
        OutputStream out = null;
        AuditRecord pending = null;
        while (running) {
            try {
                if (out == null) {
                    socket = connect();
                    out = socket.getOutputStream();
                    state = "connected";
                    backoff = 1000;
                    LOG.info("Audit records forwarded to syslog {}", target);
                }
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    AuditRecord note = EventMapper.service(AuditRecord.TYPE_LOST, hostname, lost,
                            lost + " audit records were not forwarded to this log server (forwarding queue full); "
                                    + "they are in the node's local journal");
                    out.write(Syslog5424.frame(Syslog5424.message(note, hostname, procId)));
                }
                if (pending == null) {
                    pending = queue.poll(1, TimeUnit.SECONDS);
                }
                if (pending != null) {
                    out.write(Syslog5424.frame(Syslog5424.message(pending, hostname, procId)));
                    if (queue.isEmpty()) {
                        out.flush();
                    }
                    sent.incrementAndGet();
                    long seq = pending.seq();
                    exported.compareAndSet(seq - 1, seq);
                    pending = null;
                }
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    break;
                }
                state = "disconnected (" + e.getMessage() + "), retry in " + backoff / 1000 + " s";
                LOG.warn("Syslog {}: {}; retrying in {} s", target, e.toString(), backoff / 1000);
                closeSocket();
                out = null;
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = Math.min(60_000, backoff * 2);
            }
        }
        closeSocket();
    }

    private Socket connect() throws IOException {
        Socket s;
        if (target.tls()) {
            SSLContext ctx = sslContext(target.caFile());
            SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket();
            ssl.connect(new InetSocketAddress(target.host(), target.port()), 10_000);
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the server's certificate must name syslog.host
            ssl.setSSLParameters(p);
            ssl.startHandshake();
            s = ssl;
        } else {
            s = new Socket();
            s.connect(new InetSocketAddress(target.host(), target.port()), 10_000);
        }
        s.setKeepAlive(true);
        return s;
    }

    static SSLContext sslContext(String caFile) throws IOException {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null || caFile.isBlank()) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                try (InputStream in = Files.newInputStream(Path.of(caFile))) {
                    int i = 0;
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        ks.setCertificateEntry("ca" + i++, c);
                    }
                }
                tmf.init(ks);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot set up TLS with CA " + caFile + ": " + e.getMessage(), e);
        }
    }

    private void closeSocket() {
        Socket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Stops after trying for up to {@code drainMillis} to send what is queued. */
    void close(long drainMillis) {
        long end = System.currentTimeMillis() + drainMillis;
        while (!queue.isEmpty() && "connected".equals(state) && System.currentTimeMillis() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running = false;
        thread.interrupt();
        closeSocket();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(2000);
    }
}
