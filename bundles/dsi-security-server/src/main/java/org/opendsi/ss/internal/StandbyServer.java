package org.opendsi.ss.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.alarm.AlarmService;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.ss.CompromiseResult;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.NodeChannel;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NotActiveException;
import org.opendsi.ss.PolicyPropagation;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.SharedStore;
import org.opendsi.ss.StoreHealth;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.ss.StoredLabelKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hot standby Security Server as the shell and the other services see it: it reads the shared store
 * (nodes, alarms, the policy version the cluster runs) and refuses every change with a message naming
 * the active server. It listens on no port; managers reach the active one.
 */
final class StandbyServer implements SecurityServer, AlarmService {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyServer.class);

    private final NodeConfig cfg;
    private final SharedStore store;
    private final SharedStore.Leadership leadership;
    private final java.util.Queue<StoredAlarm> unstored = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private boolean waiting;

    StandbyServer(NodeConfig cfg, SharedStore store, SharedStore.Leadership leadership) {
        this.cfg = cfg;
        this.store = store;
        this.leadership = leadership;
    }

    private NotActiveException refused(String what) {
        return new NotActiveException(what + " refused", leadership.status());
    }

    @Override
    public LeaseStatus lease() {
        return leadership.status();
    }

    @Override
    public List<ServerPeer> servers() {
        return store.servers();
    }

    @Override
    public StoreHealth storeHealth() {
        return store.health();
    }

    @Override
    public void awaitPublished(long version, Duration timeout) {
        throw refused("distributing policy version " + version);
    }

    @Override
    public PolicyPropagation policyPropagation() {
        return new PropagationRecorder().snapshot(); // no acks here; the buckets as the active server has them
    }

    @Override
    public List<NodeChannel> channels() {
        return List.of();
    }

    @Override
    public List<NodeRecord> nodes() {
        return store.serverStore().nodes();
    }

    @Override
    public List<StoredAlarm> alarms() {
        return store.serverStore().alarms();
    }

    @Override
    public boolean ackAlarm(String id) {
        throw refused("acknowledging an alarm");
    }

    @Override
    public String createToken(int snid, String name, Duration ttl, boolean replace) {
        throw refused("creating a join token");
    }

    @Override
    public CompromiseResult compromised(int snid) {
        throw refused("declaring a node compromised");
    }

    @Override
    public ServerStatus status() {
        List<Long> versions = store.serverStore().policyVersions();
        int open = (int) alarms().stream().filter(a -> !a.acked()).count();
        String elsewhere = "standby (active: " + leadership.status().describeHolder() + ")";
        return new ServerStatus(cfg.role().label(), cfg.cluster(), cfg.snid(), elsewhere, elsewhere, "",
                versions.isEmpty() ? 0 : versions.get(versions.size() - 1), 0, nodes().size(), open);
    }

    @Override
    public long joinsSinceStart() {
        return 0;
    }

    @Override
    public long compromisesSinceStart() {
        return 0;
    }

    /**
     * The label key epochs as the active server stored them, and the servers' own nodes as they reported
     * what they hold (the managers' acknowledgements are the active server's to show).
     */
    @Override
    public LabelKeyStatus labelKeys() {
        StoredLabelKeys k = store.serverStore().labelKeys().orElse(null);
        if (k == null) {
            return new LabelKeyStatus(0, List.of(), List.of(), false, false, null);
        }
        List<LabelKeyStatus.Epoch> epochs = k.epochs().stream().map(e -> new LabelKeyStatus.Epoch(e.epoch(), e.created(),
                e.epoch() == k.sendEpoch(), e.epoch() == k.sendEpoch() ? LabelKeyStatus.EpochState.SENDING
                        : e.epoch() > k.sendEpoch() ? LabelKeyStatus.EpochState.DISTRIBUTING
                                : LabelKeyStatus.EpochState.RETIRING)).toList();
        List<LabelKeyStatus.Node> servers = store.servers().stream().filter(p -> p.labelSendEpoch() != 0)
                .map(p -> new LabelKeyStatus.Node(p.snid(), p.live(), p.labelSendEpoch(), p.labelEpochs(), p.reportedAt(),
                        p.labelError())).toList();
        return new LabelKeyStatus(k.sendEpoch(), epochs, servers, epochs.size() > 1, false, null);
    }

    @Override
    public CompletableFuture<Integer> rotateLabelKeys() {
        return CompletableFuture.failedFuture(refused("rotating the label keys"));
    }

    @Override
    public List<DenialFlow> denials(Instant since) {
        return List.of();
    }

    @Override
    public AutoCloseable followDenials(java.util.function.Consumer<List<DenialFlow>> listener) {
        return () -> { };
    }

    /**
     * This node's own alarm: appended to the shared store (the one kind of state a standby adds, being an
     * append under the alarm's own id), where the active server lists it. While the store does not answer it
     * waits here, in order, and {@link #flushAlarms()} adds it later.
     */
    @Override
    public Alarm raise(AlarmPriority priority, String source, String text) {
        Alarm a = new Alarm(java.util.UUID.randomUUID().toString(), priority, cfg.snid(), cfg.name(), Instant.now(), source,
                text);
        LOG.info("Alarm {} on this standby Security Server's node: [{}] {}: {}", a.id(), priority, source, text);
        unstored.add(new StoredAlarm(a, Instant.now(), null));
        flushAlarms();
        return a;
    }

    /** Adds the alarms waiting for the store, oldest first; stops at the first the store does not take. */
    synchronized void flushAlarms() {
        for (StoredAlarm a = unstored.peek(); a != null; a = unstored.peek()) {
            try {
                store.appendAlarm(a);
            } catch (RuntimeException e) {
                if (!waiting) { // once per outage
                    waiting = true;
                    LOG.warn("Alarms of this node wait for the store: {}", e.getMessage());
                }
                return;
            }
            unstored.poll();
        }
        if (waiting) {
            waiting = false;
            LOG.info("Alarms of this node that waited for the store are stored");
        }
    }

    /** The alarms the store has not taken yet. */
    List<StoredAlarm> unstoredAlarms() {
        return List.copyOf(unstored);
    }
}
