package org.opendsi.ss.internal;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import org.opendsi.ss.ServerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where the label key authority's sets go: the SCC peers, and this node's own DSM; and their acks back. */
final class LabelKeyNodes implements LabelKeyAuthority.Nodes {

    private static final Logger LOG = LoggerFactory.getLogger(LabelKeyNodes.class);
    private static final String LOCAL = "local";

    private final NodeConfig cfg;
    private final ServerStore store;
    private final Supplier<SccServer> server;
    private final LocalLabelKeys localKeys;
    /** SnID of each peer id (the id is the certificate's URI SAN): asked on every ack, parsed once. */
    private final Map<String, Optional<Integer>> snids = new ConcurrentHashMap<>();
    /** The authority these nodes serve; set once, by {@link #create}. */
    private LabelKeyAuthority authority;

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

    @Override
    public Set<Integer> members() {
        Set<Integer> compromised = store.compromised();
        Set<Integer> out = new HashSet<>();
        out.add(cfg.snid());
        for (NodeRecord r : store.nodes()) {
            if (!compromised.contains(r.snid()) && r.state() != NodeState.COMPROMISED) {
                out.add(r.snid());
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
        return out;
    }

    @Override
    public void send(int snid, String route, ClusterMessages.LabelKeySet set) {
        if (LOCAL.equals(route)) {
            authority.onAck(snid, localKeys.install(set));
            return;
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
}
