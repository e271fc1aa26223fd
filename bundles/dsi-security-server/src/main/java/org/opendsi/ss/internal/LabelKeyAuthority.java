package org.opendsi.ss.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.opendsi.cluster.protocol.ClusterMessages.LabelKey;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoredLabelKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Security Server's label key authority: creates and rotates the label key epochs (a master
 * secret each, kept in the {@link ServerStore}), hands every member node the keys of the pairs it
 * belongs to ({@link LabelKeyDerivation}), and records what each node acknowledged holding.
 *
 * <p>A node gets its whole set when it connects, when membership changes (a join: every node gets
 * the new pair; a compromise: at once, every other node gets its set without the compromised node's
 * pairs, and that node gets nothing more), and at each step of a rotation. A rotation has three
 * steps, so that no packet an allowed flow sends is refused on the way:
 * <ol>
 * <li>epoch e+1 is created and handed out with e; labels are still written with e
 * ({@link LabelKeyStatus.EpochState#DISTRIBUTING});</li>
 * <li>once every connected member acknowledged holding e+1 (or after {@code ackTimeout}, naming the
 * laggards in the log), labels switch to e+1; e is still accepted ({@code RETIRING});</li>
 * <li>after {@code grace}, e is dropped.</li>
 * </ol>
 * Rotations run one at a time: one asked for during another starts after it (requests that arrive
 * meanwhile share it). Every state change happens on the authority's own thread.
 */
final class LabelKeyAuthority implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LabelKeyAuthority.class);
    /** Joins arriving together (a cluster being built) make one push to every node, not one each. */
    static final Duration MEMBERSHIP_DEBOUNCE = Duration.ofMillis(200);

    /** The nodes the keys go to, as the Security Server knows them. */
    interface Nodes {
        /** SnIDs of the member nodes: joined and not compromised, this Security Server's own node included. */
        Set<Integer> members();

        /** The members reachable now (they are expected to acknowledge), SnID -> where to send. */
        Map<Integer, String> connected();

        /** Sends a node its set; its acknowledgement comes back through {@link #onAck}. */
        void send(int snid, String route, LabelKeySet set);
    }

    private enum Phase { DISTRIBUTING, RETIRING }

    private static final class Rotation {
        final int epoch;
        Phase phase = Phase.DISTRIBUTING;
        ScheduledFuture<?> timer;

        Rotation(int epoch) {
            this.epoch = epoch;
        }
    }

    private record Ack(LabelKeysAck ack, Instant at) {
    }

    private final ServerStore store;
    private final Nodes nodes;
    private final LabelKeySettings settings;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dsi-label-keys");
        t.setDaemon(true);
        return t;
    });

    // ------------------------------------------------ state: touched on the executor's thread only
    private final List<StoredLabelKeys.Epoch> epochs = new ArrayList<>();
    private int sendEpoch;
    private int lastEpoch;
    private Rotation rotation;
    /** Requests for a rotation made while one runs: served by the next one. */
    private List<CompletableFuture<Integer>> queued;
    private final Map<Integer, Ack> acks = new TreeMap<>(Integer::compareUnsigned);
    private ScheduledFuture<?> nextRotation;
    private Instant nextRotationAt;
    private ScheduledFuture<?> membershipPush;

    LabelKeyAuthority(ServerStore store, Nodes nodes, LabelKeySettings settings, Clock clock) {
        this.store = store;
        this.nodes = nodes;
        this.settings = settings;
        this.clock = clock;
    }

    /** Loads the epochs (creating epoch 1 the first time) and resumes a rotation cut short by a restart. */
    void start() {
        try {
            executor.submit(this::load).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("label keys: " + e.getCause().getMessage(), e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException("label keys not loaded: " + e, e);
        }
    }

    // ---------------------------------------------------------------- events (any thread)

    /** A node said hello: it gets its set before anything it would label. */
    void nodeConnected(int snid) {
        post(() -> pushTo(snid));
    }

    /** A node joined (or left the connected set): every node gets its new set, joins in a burst once. */
    void membershipChanged() {
        post(() -> {
            if (membershipPush == null || membershipPush.isDone()) {
                membershipPush = executor.schedule(guarded(this::pushAll), MEMBERSHIP_DEBOUNCE.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
        });
    }

    /**
     * A node was declared compromised (already out of {@link Nodes#members()}): every other node gets
     * its set without the compromised node's pairs now, then the keys rotate.
     */
    void nodeCompromised(int snid) {
        post(() -> {
            acks.remove(snid);
            pushAll();
            checkDistributed(); // a rotation no longer waits for it
            LOG.info("Label keys: pairs of node {} withdrawn from every node; rotating", Integer.toUnsignedString(snid));
            requestRotation(new CompletableFuture<>());
        });
    }

    /** A node disconnected: a rotation may no longer have to wait for it. */
    void connectionsChanged() {
        post(this::checkDistributed);
    }

    void onAck(int snid, LabelKeysAck ack) {
        post(() -> {
            if (!nodes.members().contains(snid)) {
                return;
            }
            Ack before = acks.put(snid, new Ack(ack, clock.instant()));
            if (!ack.ok() && (before == null || !ack.error().equals(before.ack().error()))) { // once per cause
                LOG.warn("Label keys: node {} holds send epoch {}, epochs {}, not in its kernel: {}",
                        Integer.toUnsignedString(snid), ack.sendEpoch(), ack.epochs(), ack.error());
            }
            checkDistributed();
        });
    }

    /** Starts a rotation, or the one after the rotation under way; completes with the new epoch. */
    CompletableFuture<Integer> rotate() {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        try {
            executor.execute(guarded(() -> {
                try {
                    requestRotation(f);
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                    throw e;
                }
            }));
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("the Security Server is stopping"));
        }
        return f;
    }

    LabelKeyStatus status() {
        try {
            return executor.submit(this::snapshot).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("label key status not available: " + e, e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- on the executor

    private void post(Runnable task) {
        try {
            executor.execute(guarded(task));
        } catch (RejectedExecutionException closed) {
            LOG.debug("label key authority closed; event dropped");
        }
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("Label keys: {}", e.toString(), e);
            }
        };
    }

    private void load() {
        StoredLabelKeys s = store.labelKeys().orElse(null);
        if (s == null || s.epochs().isEmpty()) {
            int first = LabelKeyDerivation.nextEpoch(s == null ? 0 : s.lastEpoch());
            StoredLabelKeys.Epoch e = new StoredLabelKeys.Epoch(first, clock.instant(),
                    LabelKeyDerivation.newMaster(random));
            store.putLabelKeys(new StoredLabelKeys(first, first, List.of(e)));
            s = store.labelKeys().orElseThrow();
            LOG.info("Label keys: epoch {} created", first);
        }
        epochs.addAll(s.epochs());
        epochs.sort(Comparator.comparingInt(StoredLabelKeys.Epoch::epoch));
        lastEpoch = Math.max(s.lastEpoch(), epochs.get(epochs.size() - 1).epoch());
        sendEpoch = s.sendEpoch();
        if (epochs.stream().noneMatch(e -> e.epoch() == sendEpoch)) {
            sendEpoch = epochs.get(epochs.size() - 1).epoch();
            LOG.warn("Label keys: stored send epoch {} is not held; sending with {}", s.sendEpoch(), sendEpoch);
        }
        if (epochs.size() > 1) {
            int newest = epochs.get(epochs.size() - 1).epoch();
            rotation = new Rotation(newest);
            if (sendEpoch == newest) {
                rotation.phase = Phase.RETIRING;
                rotation.timer = schedule(this::retire, settings.grace());
                LOG.info("Label keys: resuming the rotation to epoch {}: the previous epoch is dropped in {} s",
                        newest, settings.grace().toSeconds());
            } else {
                rotation.timer = schedule(this::ackTimeout, settings.ackTimeout());
                LOG.info("Label keys: resuming the rotation to epoch {}: waiting for the nodes to hold it", newest);
            }
        } else {
            scheduleNext();
        }
        pushAll(); // whoever is reachable already (this Security Server's own node)
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return executor.schedule(guarded(task), Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    private void scheduleNext() {
        if (nextRotation != null) {
            nextRotation.cancel(false);
        }
        nextRotation = null;
        nextRotationAt = null;
        if (!settings.scheduled()) {
            return;
        }
        Instant created = epochs.stream().filter(e -> e.epoch() == sendEpoch).findFirst()
                .map(StoredLabelKeys.Epoch::created).orElse(clock.instant());
        nextRotationAt = created.plus(settings.rotateEvery());
        nextRotation = schedule(() -> requestRotation(new CompletableFuture<>()),
                Duration.between(clock.instant(), nextRotationAt));
    }

    private void requestRotation(CompletableFuture<Integer> f) {
        if (rotation != null) {
            if (queued == null) {
                queued = new ArrayList<>();
                LOG.info("Label keys: rotation queued after the one to epoch {}", rotation.epoch);
            }
            queued.add(f);
            return;
        }
        startRotation(List.of(f));
    }

    /** Step 1: a new epoch, handed out beside the send epoch. */
    private void startRotation(List<CompletableFuture<Integer>> waiting) {
        int e = LabelKeyDerivation.nextEpoch(lastEpoch);
        StoredLabelKeys.Epoch fresh = new StoredLabelKeys.Epoch(e, clock.instant(), LabelKeyDerivation.newMaster(random));
        List<StoredLabelKeys.Epoch> next = new ArrayList<>(epochs);
        next.add(fresh);
        try {
            store.putLabelKeys(new StoredLabelKeys(sendEpoch, e, next)); // never hand out what the SS could forget
        } catch (RuntimeException ex) {
            LOG.error("Label keys: epoch {} not created, it cannot be stored: {}", e, ex.toString());
            waiting.forEach(w -> w.completeExceptionally(ex));
            return;
        }
        epochs.add(fresh);
        lastEpoch = e;
        rotation = new Rotation(e);
        if (nextRotation != null) {
            nextRotation.cancel(false);
        }
        nextRotationAt = null;
        LOG.info("Label keys: epoch {} created and handed out; labels stay on epoch {} until every node holds it",
                e, sendEpoch);
        pushAll();
        waiting.forEach(w -> w.complete(e));
        rotation.timer = schedule(this::ackTimeout, settings.ackTimeout());
        checkDistributed();
    }

    /** Connected members that have not acknowledged holding epoch e. */
    private SortedSet<Integer> laggards(int e) {
        SortedSet<Integer> out = new TreeSet<>(Integer::compareUnsigned);
        Set<Integer> members = nodes.members();
        for (Integer n : nodes.connected().keySet()) {
            Ack a = acks.get(n);
            if (members.contains(n) && (a == null || !a.ack().epochs().contains(e))) {
                out.add(n);
            }
        }
        return out;
    }

    private void checkDistributed() {
        if (rotation != null && rotation.phase == Phase.DISTRIBUTING && laggards(rotation.epoch).isEmpty()) {
            switchSend();
        }
    }

    private void ackTimeout() {
        if (rotation == null || rotation.phase != Phase.DISTRIBUTING) {
            return;
        }
        SortedSet<Integer> late = laggards(rotation.epoch);
        if (!late.isEmpty()) {
            LOG.warn("Label keys: node(s) {} did not acknowledge holding epoch {} within {} s; labels switch to it "
                    + "anyway (those nodes refuse labels of epoch {} until they hold it)", late, rotation.epoch,
                    settings.ackTimeout().toSeconds(), rotation.epoch);
        }
        switchSend();
    }

    /** Step 2: labels are written with the new epoch; the previous one is still accepted. */
    private void switchSend() {
        Rotation r = rotation;
        if (r.timer != null) {
            r.timer.cancel(false);
        }
        int previous = sendEpoch;
        if (!stored(new StoredLabelKeys(r.epoch, lastEpoch, epochs))) {
            r.timer = schedule(this::ackTimeout, settings.ackTimeout()); // tried again
            return;
        }
        sendEpoch = r.epoch;
        r.phase = Phase.RETIRING;
        LOG.info("Label keys: labels now written with epoch {}; epoch {} accepted for {} s more", r.epoch, previous,
                settings.grace().toSeconds());
        pushAll();
        r.timer = schedule(this::retire, settings.grace());
    }

    /** Step 3: the previous epoch is dropped; a queued rotation starts. */
    private void retire() {
        List<StoredLabelKeys.Epoch> kept = epochs.stream().filter(e -> e.epoch() == sendEpoch).toList();
        if (!stored(new StoredLabelKeys(sendEpoch, lastEpoch, kept))) {
            rotation.timer = schedule(this::retire, settings.ackTimeout()); // tried again
            return;
        }
        List<Integer> dropped = epochs.stream().map(StoredLabelKeys.Epoch::epoch).filter(e -> e != sendEpoch).toList();
        epochs.clear();
        epochs.addAll(kept);
        rotation = null;
        LOG.info("Label keys: epoch(s) {} dropped; rotation to epoch {} done", dropped, sendEpoch);
        pushAll();
        scheduleNext();
        List<CompletableFuture<Integer>> next = queued;
        queued = null;
        if (next != null) {
            startRotation(next);
        }
    }

    private boolean stored(StoredLabelKeys keys) {
        try {
            store.putLabelKeys(keys);
            return true;
        } catch (RuntimeException e) {
            LOG.error("Label keys: cannot store the epochs (send epoch {}, epochs {}); the rotation waits: {}",
                    keys.sendEpoch(), keys.epochs().stream().map(StoredLabelKeys.Epoch::epoch).toList(), e.toString());
            return false;
        }
    }

    private void pushTo(int snid) {
        Set<Integer> members = nodes.members();
        String route = nodes.connected().get(snid);
        if (route != null && members.contains(snid)) {
            send(snid, route, members);
        }
    }

    private void send(int snid, String route, Set<Integer> members) {
        try {
            nodes.send(snid, route, setFor(snid, members));
        } catch (RuntimeException e) { // one node's failure must not keep the others' sets back
            LOG.warn("Label keys: set for node {} not sent: {}", Integer.toUnsignedString(snid), e.toString());
        }
    }

    private void pushAll() {
        Set<Integer> members = nodes.members();
        for (Map.Entry<Integer, String> c : nodes.connected().entrySet()) {
            if (members.contains(c.getKey())) {
                send(c.getKey(), c.getValue(), members);
            }
        }
    }

    /** Node n's keys: for each epoch held, one per member (n itself included), none of another pair. */
    LabelKeySet setFor(int n, Set<Integer> members) {
        return LabelKeyDerivation.setFor(epochs, sendEpoch, n, members);
    }

    private LabelKeyStatus snapshot() {
        List<LabelKeyStatus.Epoch> es = new ArrayList<>();
        for (StoredLabelKeys.Epoch e : epochs) {
            LabelKeyStatus.EpochState state = e.epoch() == sendEpoch ? LabelKeyStatus.EpochState.SENDING
                    : rotation != null && rotation.phase == Phase.DISTRIBUTING && rotation.epoch == e.epoch()
                            ? LabelKeyStatus.EpochState.DISTRIBUTING : LabelKeyStatus.EpochState.RETIRING;
            es.add(new LabelKeyStatus.Epoch(e.epoch(), e.created(), e.epoch() == sendEpoch, state));
        }
        Set<Integer> members = nodes.members();
        Set<Integer> connected = nodes.connected().keySet();
        SortedSet<Integer> listed = new TreeSet<>(Integer::compareUnsigned);
        listed.addAll(members);
        List<LabelKeyStatus.Node> ns = new ArrayList<>();
        for (int n : listed) {
            Ack a = acks.get(n);
            ns.add(new LabelKeyStatus.Node(n, connected.contains(n), a == null ? 0 : a.ack().sendEpoch(),
                    a == null ? List.of() : a.ack().epochs(), a == null ? null : a.at(), a == null ? null : a.ack().error()));
        }
        return new LabelKeyStatus(sendEpoch, es, ns, rotation != null, queued != null, nextRotationAt);
    }
}
