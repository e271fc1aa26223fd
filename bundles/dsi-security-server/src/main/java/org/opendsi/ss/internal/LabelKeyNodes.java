package org.opendsi.ss.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccPeer;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccServer;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.NodeState;
import org.opendsi.ss.ServerPeer;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.SharedStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the label key authority's sets go: the SCC peers, and this node's own DSM; and their acks back.
 * With several Security Servers on a shared store, the other servers' nodes are members too: a standby
 * is not one of this server's managers, so it derives its own node's set from the store and reports
 * what it holds there ({@link StandbyLabelKeys}); that report is its acknowledgement.
 */
final class LabelKeyNodes implements LabelKeyAuthority.Nodes, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LabelKeyNodes.class);
    private static final String LOCAL = "local";
    private static final String STORE = "store";
    /** How often the other servers' reports are read (a rotation waits for a standby at most about this long). */
    static final Duration FOLLOW_PERIOD = Duration.ofMillis(250);

    private final NodeConfig cfg;
    private final ServerStore store;
    private final Supplier<SccServer> server;
    private final LocalLabelKeys localKeys;
    /** SnID of each peer id (the id is the certificate's URI SAN): asked on every ack, parsed once. */
    private final Map<String, Optional<Integer>> snids = new ConcurrentHashMap<>();
    /** The authority these nodes serve; set once, by {@link #create}. */
    private LabelKeyAuthority authority;
    /** The Security Servers sharing the store, as last read (none on a file store). */
    private volatile List<ServerPeer> servers = List.of();
    private ScheduledExecutorService follower;
    /** Reads of the other servers so far (the follower's thread only): this one reports every few. */
    private long followReads;

    private LabelKeyNodes(NodeConfig cfg, ServerStore store, Supplier<SccServer> server, LocalLabelKeys localKeys) {
        this.cfg = cfg;
        this.store = store;
        this.server = server;
        this.localKeys = localKeys;
    }

    /** The nodes and their label key authority (each needs the other). */
    static LabelKeyNodes create(NodeConfig cfg, ServerStore store, Supplier<SccServer> server,
            LocalLabelKeys localKeys, LabelKeySettings settings) {
        LabelKeyNodes nodes = new LabelKeyNodes(cfg, store, server, localKeys);
        nodes.authority = new LabelKeyAuthority(store, nodes, settings, Clock.systemUTC());
        return nodes;
    }

    LabelKeyAuthority authority() {
        return authority;
    }

    /** The servers sharing the store as last read (none on a file store). */
    List<ServerPeer> servers() {
        return servers;
    }

    @Override
    public Set<Integer> members() {
        return members(cfg.snid(), store, servers);
    }

    /**
     * The member nodes as any server sees them: its own, the joined nodes and every server's node sharing
     * the store, less the compromised ones.
     */
    static Set<Integer> members(int self, ServerStore store, List<ServerPeer> servers) {
        Set<Integer> compromised = store.compromised();
        Set<Integer> out = new HashSet<>();
        out.add(self);
        for (NodeRecord r : store.nodes()) {
            if (!compromised.contains(r.snid()) && r.state() != NodeState.COMPROMISED) {
                out.add(r.snid());
            }
        }
        for (ServerPeer p : servers) {
            if (!compromised.contains(p.snid())) {
                out.add(p.snid());
            }
        }
        return out;
    }

    @Override
    public Map<Integer, String> connected() {
        Map<Integer, String> out = new HashMap<>();
        SccServer s = server.get();
        if (s != null) {
            for (SccPeer p : s.peers()) {
                snids.computeIfAbsent(p.id(), id -> Membership.snidOf(p)).ifPresent(n -> out.put(n, p.id()));
            }
        }
        if (localKeys.present()) {
            out.put(cfg.snid(), LOCAL);
        }
        for (ServerPeer p : servers) {
            if (p.live() && p.snid() != cfg.snid()) {
                out.put(p.snid(), STORE);
            }
        }
        return out;
    }

    @Override
    public void send(int snid, String route, ClusterMessages.LabelKeySet set) {
        if (LOCAL.equals(route)) {
            authority.onAck(snid, localKeys.install(set));
            return;
        }
        if (STORE.equals(route)) {
            return; // that server derives its own node's set from the store
        }
        SccServer s = server.get();
        if (s == null || store.compromised().contains(snid)) {
            return;
        }
        s.publish(route, ClusterTopics.LABEL_KEYS, ClusterMessages.encode(set), SccPriority.ALARM)
                .whenComplete((x, e) -> {
                    if (e != null) {
                        LOG.warn("Label keys (send epoch {}) not sent to node {}: {}", set.sendEpoch(), snid,
                                e.toString());
                    }
                });
    }

    /** A node's acknowledgement of its set. */
    void onAck(SccPeer peer, SccMessage m) {
        Membership.snidOf(peer).ifPresent(n -> {
            try {
                authority.onAck(n, ClusterMessages.labelKeysAck(m.payload()));
            } catch (RuntimeException e) {
                LOG.warn("Node {}: malformed label key acknowledgement: {}", n, e.toString());
            }
        });
    }

    /**
     * Follows the other servers on {@code shared} (active server only): reports this one about once a second
     * and reads theirs every {@link #FOLLOW_PERIOD}, until {@link #close()}.
     */
    void follow(SharedStore shared) {
        follower = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dsi-ss-servers");
            t.setDaemon(true);
            return t;
        });
        long every = FOLLOW_PERIOD.toMillis();
        long reportEvery = Math.max(1, 1000 / every);
        follower.scheduleWithFixedDelay(() -> {
            try {
                if (followReads++ % reportEvery == 0) {
                    shared.report(ServerPeer.self(cfg.snid(), cfg.name(), 0, List.of(), null));
                }
                serversRead(shared.servers());
            } catch (RuntimeException e) { // the store is away: the last list stands
                LOG.debug("Security Servers on the store not read: {}", e.toString());
            }
        }, 0, every, TimeUnit.MILLISECONDS);
    }

    /**
     * The servers sharing the store as just read. A server new to the list makes its node a member (every
     * node gets the pair); one that came or went changes whom a rotation waits for; a standby's report of
     * the keys its node holds is that node's acknowledgement.
     */
    void serversRead(List<ServerPeer> now) {
        Map<Integer, ServerPeer> before = new HashMap<>();
        servers.forEach(p -> before.put(p.snid(), p));
        servers = List.copyOf(now);
        boolean joined = false;
        boolean cameOrWent = false;
        for (ServerPeer p : now) {
            ServerPeer was = before.get(p.snid());
            joined |= was == null;
            cameOrWent |= was == null || was.live() != p.live();
            boolean news = was == null || !was.live() || was.labelSendEpoch() != p.labelSendEpoch()
                    || !was.labelEpochs().equals(p.labelEpochs()) || !Objects.equals(was.labelError(), p.labelError());
            if (p.live() && p.snid() != cfg.snid() && p.labelSendEpoch() != 0 && news) {
                authority.onAck(p.snid(), new ClusterMessages.LabelKeysAck(p.labelSendEpoch(), p.labelEpochs(),
                        p.labelError()));
            }
        }
        if (joined) {
            LOG.info("Label keys: Security Server nodes {} are members", now.stream().map(ServerPeer::snid).toList());
            authority.membershipChanged();
        }
        if (cameOrWent) {
            authority.connectionsChanged();
        }
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.shutdownNow();
        }
    }
}
