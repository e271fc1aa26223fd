package org.opendsi.cluster.protocol;

import java.nio.file.Path;
import java.time.Duration;

import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;

/** A cluster CA and joined node keys in temporary folders. */
public final class Fixture {
    public final ClusterCa ca;

    public Fixture(Path dir) {
        ca = new ClusterCa(PkiSettings.of(dir.resolve("ss"), "dsi"));
    }

    public Credentials server() {
        return ca.serverCredentials(java.util.List.of(), java.util.List.of());
    }

    public NodeKeys joinedNode(Path dir, int snid) {
        NodeKeys k = new NodeKeys(PkiSettings.of(dir.resolve("node-" + snid), "dsi"));
        String token = ca.joinTokens().create(Duration.ofMinutes(5), snid, "", false);
        k.install(ca.join(token, k.prepareJoin("n" + snid), snid), ca.rootFingerprint());
        return k;
    }
}
