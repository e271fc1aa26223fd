package org.opendsi.ss.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.KeyManagementService;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccServer;
import org.opendsi.scc.SccTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a standby hot: runs once, on throwaway material, what a takeover runs (a CA opened and a server
 * certificate issued, a TLS listener built, started and closed), so that the first takeover does not pay
 * for class loading and cold code. Measured here: without it a takeover took about 3 s, most of it the
 * first TLS listener of the process.
 */
final class StandbyWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyWarmup.class);

    private StandbyWarmup() {
    }

    static void run(KeyManagementService km, SccTransport transport) {
        long t0 = System.nanoTime();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("dsi-ss-warmup");
            ClusterCa ca = km.openClusterCa(dir);
            Credentials c = ca.serverCredentials(List.of(), List.of());
            SccCredentials sc = Housekeeping.sccCredentials(ca, ca.cluster(), c);
            SccServer s = transport.createServer(sc, SccOptions.defaults(), new InetSocketAddress("127.0.0.1", 0));
            try {
                s.start();
            } finally {
                s.close();
            }
            LOG.info("Standby warmed up for a takeover in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
            LOG.info("Standby warm-up skipped: {}", e.toString());
        } finally {
            if (dir != null) {
                try (Stream<Path> all = Files.walk(dir)) {
                    all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    LOG.debug("cannot remove {}: {}", dir, e.toString());
                }
            }
        }
    }
}
