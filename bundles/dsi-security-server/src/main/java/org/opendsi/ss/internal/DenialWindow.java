package org.opendsi.ss.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.DenialSample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The denials the nodes reported over the last {@code window}, per flow and reporter, counted per
 * second of arrival at the Security Server (the nodes' clocks only appear in the records). Bounded:
 * at most {@code maxFlows} flows, the one quiet the longest goes first. Thread-safe.
 */
final class DenialWindow {

    private static final Logger LOG = LoggerFactory.getLogger(DenialWindow.class);

    private static final class Flow {
        /** {second of arrival, denials}, oldest first. */
        final Deque<long[]> seconds = new ArrayDeque<>();
        Instant first;
        Instant last;
        final Deque<DenialSample> samples = new ArrayDeque<>(DenialFlow.MAX_SAMPLES);
    }

    private final Duration window;
    private final int maxFlows;
    private final Clock clock;
    /** Access order: the flow denied longest ago is the eldest. */
    private final LinkedHashMap<DenialFlow.Key, Flow> flows = new LinkedHashMap<>(64, 0.75f, true);
    private final List<Consumer<List<DenialFlow>>> listeners = new CopyOnWriteArrayList<>();
    private long unattributed;
    private long prunedAt;

    DenialWindow(Duration window, int maxFlows, Clock clock) {
        this.window = window;
        this.maxFlows = maxFlows;
        this.clock = clock;
    }

    /** Adds one node's batch and hands it to the listeners (on the caller's thread). */
    void add(List<DenialFlow> batch, long unattributedDenials) {
        if (batch.isEmpty() && unattributedDenials == 0) {
            return;
        }
        long now = clock.instant().getEpochSecond();
        synchronized (this) {
            unattributed += unattributedDenials;
            for (DenialFlow d : batch) {
                Flow f = flows.get(d.key());
                if (f == null) {
                    if (flows.size() >= maxFlows) {
                        Iterator<Map.Entry<DenialFlow.Key, Flow>> eldest = flows.entrySet().iterator();
                        eldest.next();
                        eldest.remove();
                    }
                    f = new Flow();
                    f.first = d.first();
                    flows.put(d.key(), f);
                }
                long[] tail = f.seconds.peekLast();
                if (tail != null && tail[0] == now) {
                    tail[1] += d.count();
                } else {
                    f.seconds.addLast(new long[] {now, d.count()});
                }
                if (f.last == null || (d.last() != null && d.last().isAfter(f.last))) {
                    f.last = d.last();
                }
                for (DenialSample s : d.latest()) {
                    if (f.samples.size() == DenialFlow.MAX_SAMPLES) {
                        f.samples.removeFirst();
                    }
                    f.samples.addLast(s);
                }
            }
            prune(now);
        }
        for (Consumer<List<DenialFlow>> l : listeners) {
            try {
                l.accept(batch);
            } catch (RuntimeException e) {
                LOG.warn("A denial listener failed: {}", e.toString());
            }
        }
    }

    /** Flows with denials that arrived at or after {@code since} (bounded by the window), counts over that time. */
    synchronized List<DenialFlow> since(Instant since) {
        long now = clock.instant().getEpochSecond();
        prune(now);
        long from = Math.max(since == null ? Long.MIN_VALUE : since.getEpochSecond(), now - window.toSeconds());
        List<DenialFlow> out = new ArrayList<>();
        for (Map.Entry<DenialFlow.Key, Flow> e : flows.entrySet()) {
            long count = 0;
            for (long[] s : e.getValue().seconds) {
                if (s[0] >= from) {
                    count += s[1];
                }
            }
            if (count > 0) {
                DenialFlow.Key k = e.getKey();
                Flow f = e.getValue();
                out.add(new DenialFlow(k.reporter(), k.type(), k.permission(), k.srcScid(), k.srcSnid(), k.tgtScid(),
                        k.tgtSnid(), k.ruleId(), k.ruleLabel(), count, f.first, f.last, List.copyOf(f.samples)));
            }
        }
        return out;
    }

    /** Denials whose flow was not named (a node's report was full), since start. */
    synchronized long unattributed() {
        return unattributed;
    }

    AutoCloseable follow(Consumer<List<DenialFlow>> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void prune(long now) {
        if (now == prunedAt) {
            return;   // once a second is enough: the window counts whole seconds
        }
        prunedAt = now;
        long oldest = now - window.toSeconds();
        for (Iterator<Flow> it = flows.values().iterator(); it.hasNext();) {
            Flow f = it.next();
            while (!f.seconds.isEmpty() && f.seconds.peekFirst()[0] < oldest) {
                f.seconds.removeFirst();
            }
            if (f.seconds.isEmpty()) {
                it.remove();
            }
        }
    }
}
