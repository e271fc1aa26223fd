package org.opendsi.auth;

import java.nio.file.Path;
import java.time.Duration;

import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;

/** Test helper: a cluster root CA and joined nodes in a directory. */
public final class TestPki {
    public final String cluster;
    public final Path base;
    public final ClusterCa ca;

    public TestPki(Path base, String cluster) {
        this.base = base;
        this.cluster = cluster;
        this.ca = new ClusterCa(PkiSettings.of(base.resolve("ss"), cluster));
    }

    /** A node with SnID {@code snid} joined to this CA. */
    public NodeKeys join(int snid) {
        NodeKeys node = new NodeKeys(PkiSettings.of(base.resolve("node-" + snid), cluster));
        String token = ca.joinTokens().create(Duration.ofMinutes(10), snid, "", false);
        node.install(ca.join(token, node.prepareJoin("node" + snid), snid), ca.rootFingerprint());
        return node;
    }
}
