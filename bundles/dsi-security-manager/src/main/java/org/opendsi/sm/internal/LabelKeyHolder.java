package org.opendsi.sm.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.opendsi.cluster.protocol.ClusterMessages;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeySet;
import org.opendsi.cluster.protocol.ClusterMessages.LabelKeysAck;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.SecureFiles;
import org.opendsi.sm.ManagerLabelKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's label keys: the last set the Security Server sent, kept in an owner-only file
 * ({@code sm/label-keys.json}, 0600) so that a node restarted while the Security Server is away
 * still labels and checks labels, and installed into the kernel DSM (the whole set replaces what
 * the kernel held). Key bytes are never logged. Thread-safe.
 *
 * <p>What the node acknowledges: the set's send epoch and epochs, with an error when the kernel
 * does not hold them. A DSM that is unavailable or does not authenticate labels checks no label,
 * so the node drops nothing for want of a key: it acknowledges the set's epochs (with the reason).
 * A DSM that refused the set still holds the epochs of the last set it took: those are acknowledged.
 */
final class LabelKeyHolder {

    private static final Logger LOG = LoggerFactory.getLogger(LabelKeyHolder.class);

    private final Path file;
    private final Supplier<Dsm> dsm;
    private LabelKeySet current;
    private Instant receivedAt;
    private List<Integer> installed = List.of();
    private boolean inKernel;
    private String error;

    LabelKeyHolder(Path file, Supplier<Dsm> dsm) {
        this.file = file;
        this.dsm = dsm;
    }

    Path file() {
        return file;
    }

    /** A set from the Security Server: stored, installed, acknowledged. */
    synchronized LabelKeysAck accept(LabelKeySet set) {
        current = set;
        receivedAt = Instant.now();
        String stored = null;
        try {
            SecureFiles.writeAtomic(file, Json.bytes(ClusterMessages.encode(set)));
        } catch (IOException e) {
            stored = "not stored in " + file + " (lost at a restart): " + e.getMessage();
            LOG.warn("Security Manager: label keys (send epoch {}) {}", set.sendEpoch(), stored);
        }
        LabelKeysAck ack = install(set);
        if (stored != null) {
            ack = new LabelKeysAck(ack.sendEpoch(), ack.epochs(), ack.ok() ? stored : ack.error() + "; " + stored);
            error = ack.error();
        }
        return ack;
    }

    /**
     * The stored set into the kernel again: at start (before the Security Server is reachable) and
     * whenever a DSM is bound. Empty when no set was ever received.
     */
    synchronized Optional<LabelKeysAck> reinstall() {
        if (current == null) {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            try {
                current = ClusterMessages.labelKeySet(Json.parse(Files.readAllBytes(file)));
                receivedAt = Files.getLastModifiedTime(file).toInstant();
            } catch (IOException | RuntimeException e) {
                error = "stored label keys unusable (" + file + "): " + e.getMessage();
                LOG.error("Security Manager: {}", error);
                return Optional.empty();
            }
        }
        return Optional.of(install(current));
    }

    private LabelKeysAck install(LabelKeySet set) {
        Dsm.LabelKeyInstall r = Dsm.installLabelKeys(dsm.get(), set.sendEpoch(), set.keys().stream()
                .map(k -> new Dsm.LabelKey(k.epoch(), k.peer(), k.key())).toList());
        if (r.inKernel()) {
            installed = set.epochs();
            inKernel = true;
            error = null;
            LOG.info("Security Manager: label keys installed: send epoch {}, epochs {}, {} key(s)",
                    set.sendEpoch(), set.epochs(), set.keys().size());
            return new LabelKeysAck(set.sendEpoch(), set.epochs(), null);
        }
        String why = r.why();
        List<Integer> holds = r.checksNone() ? set.epochs() : installed;
        inKernel = false;
        String was = error;
        error = "label keys (send epoch " + set.sendEpoch() + ", epochs " + set.epochs() + ") not in the kernel: " + why;
        if (was == null || !was.endsWith(": " + why)) { // once per cause
            LOG.warn("Security Manager: {}", error);
        } else {
            LOG.debug("Security Manager: {}", error);
        }
        return new LabelKeysAck(set.sendEpoch(), holds, why);
    }

    synchronized ManagerLabelKeys view() {
        LabelKeySet s = current;
        if (s == null) {
            return new ManagerLabelKeys(0, List.of(), List.of(), null, false, error);
        }
        List<Integer> peers = s.keys().stream().map(ClusterMessages.LabelKey::peer).distinct()
                .sorted(Integer::compareUnsigned).toList();
        return new ManagerLabelKeys(s.sendEpoch(), s.epochs(), peers, receivedAt, inKernel, error);
    }
}
