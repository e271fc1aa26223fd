package org.opendsi.webview.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.opendsi.ss.DenialFlow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the open event streams. One scheduler thread: every second it rebuilds the overview and
 * queues it to every stream when it changed; every {@link #DENIAL_FLUSH_MS} ms it sends the denials
 * that arrived meanwhile (flows of one key merged), so a flood becomes at most a few events a second.
 * Each stream has a bounded queue; a stream that falls that far behind is closed (the browser
 * reconnects and reloads). At most {@code maxClients} streams.
 */
final class EventHub implements AutoCloseable {

    static final long DENIAL_FLUSH_MS = 250;
    static final int QUEUE = 64;
    static final int MAX_PENDING_FLOWS = 2000;

    private static final Logger LOG = LoggerFactory.getLogger(EventHub.class);

    /** One SSE event; CLOSE ends a stream. */
    record Event(String name, String data) {
        static final Event CLOSE = new Event("", "");

        String wire() {
            StringBuilder sb = new StringBuilder(data.length() + 32).append("event: ").append(name).append('\n');
            for (String line : data.split("\n", -1)) {
                sb.append("data: ").append(line).append('\n');
            }
            return sb.append('\n').toString();
        }
    }

    /** A connected stream: its queue and the session (token hash) it belongs to. */
    static final class Client {
        final String sessionKey;
        final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(QUEUE);
        volatile boolean closed;

        Client(String sessionKey) {
            this.sessionKey = sessionKey;
        }

        void offer(Event e) {
            if (closed) {
                return;
            }
            if (!queue.offer(e)) {
                closed = true;               // too slow: drop it; the browser reconnects
                queue.clear();
                queue.offer(Event.CLOSE);
            }
        }

        void close() {
            closed = true;
            queue.clear();
            queue.offer(Event.CLOSE);
        }
    }

    private final Set<Client> clients = new CopyOnWriteArraySet<>();
    private final int maxClients;
    private final Supplier<String> overview;
    private final java.util.function.Function<List<DenialFlow>, String> denialJson;
    private final ScheduledExecutorService scheduler;
    private final Map<DenialFlow.Key, DenialFlow> pending = new LinkedHashMap<>();
    private String lastOverview;
    private volatile boolean stopped;

    EventHub(int maxClients, Supplier<String> overview, java.util.function.Function<List<DenialFlow>, String> denialJson) {
        this.maxClients = maxClients;
        this.overview = overview;
        this.denialJson = denialJson;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsi-web-view-events");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        scheduler.scheduleWithFixedDelay(this::pollOverview, 1, 1, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(this::flushDenials, DENIAL_FLUSH_MS, DENIAL_FLUSH_MS, TimeUnit.MILLISECONDS);
    }

    /** A new stream for a session, starting with the current overview; null when the limit is reached. */
    synchronized Client open(String sessionKey, String firstOverview) {
        if (stopped || clients.size() >= maxClients) {
            return null;
        }
        Client c = new Client(sessionKey);
        c.offer(new Event("overview", firstOverview));
        clients.add(c);
        return c;
    }

    void remove(Client c) {
        clients.remove(c);
    }

    int clients() {
        return clients.size();
    }

    /** Ends every stream of a session (logout). */
    void closeSession(String sessionKey) {
        for (Client c : clients) {
            if (c.sessionKey.equals(sessionKey)) {
                c.close();
            }
        }
    }

    /** The SecurityServer's denial feed lands here (on the feed's thread): only merges, never blocks long. */
    void denials(List<DenialFlow> batch) {
        synchronized (pending) {
            for (DenialFlow f : batch) {
                DenialFlow old = pending.get(f.key());
                if (old == null) {
                    if (pending.size() < MAX_PENDING_FLOWS) {
                        pending.put(f.key(), f);
                    }
                } else {
                    List<org.opendsi.ss.DenialSample> latest = new ArrayList<>(old.latest());
                    latest.addAll(f.latest());
                    latest = latest.subList(Math.max(0, latest.size() - DenialFlow.MAX_SAMPLES), latest.size());
                    pending.put(f.key(), new DenialFlow(f.reporter(), f.type(), f.permission(), f.srcScid(), f.srcSnid(),
                            f.tgtScid(), f.tgtSnid(), f.ruleId(), f.ruleLabel(), old.count() + f.count(),
                            old.first() == null || (f.first() != null && f.first().isBefore(old.first())) ? f.first() : old.first(),
                            old.last() == null || (f.last() != null && f.last().isAfter(old.last())) ? f.last() : old.last(),
                            latest));
                }
            }
        }
    }

    void flushDenials() {
        List<DenialFlow> batch;
        synchronized (pending) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending.values());
            pending.clear();
        }
        if (clients.isEmpty()) {
            return;
        }
        try {
            broadcast(new Event("denials", denialJson.apply(batch)));
        } catch (RuntimeException e) {
            LOG.warn("web view: denial batch not sent: {}", e.toString());
        }
    }

    void pollOverview() {
        if (clients.isEmpty()) {
            lastOverview = null;   // rebuilt for the next stream anyway
            return;
        }
        try {
            String now = overview.get();
            if (!now.equals(lastOverview)) {
                lastOverview = now;
                broadcast(new Event("overview", now));
            }
        } catch (RuntimeException e) {
            LOG.warn("web view: overview not sent: {}", e.toString());
        }
    }

    private void broadcast(Event e) {
        for (Client c : clients) {
            c.offer(e);
        }
    }

    @Override
    public synchronized void close() {
        stopped = true;
        scheduler.shutdownNow();
        for (Client c : clients) {
            c.close();
        }
        clients.clear();
    }
}
