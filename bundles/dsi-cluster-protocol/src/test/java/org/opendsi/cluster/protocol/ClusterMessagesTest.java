package org.opendsi.cluster.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.api.audit.AuditCheckpoint;
import org.opendsi.keys.CertificateRole;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.RenewalRequest;

/** The wire form of each cluster message is pinned here; decode(encode(m)) gives m back. */
class ClusterMessagesTest {

    @TempDir
    Path tmp;

    @Test
    void helloAndStatusAndAck() throws Exception {
        ClusterMessages.Hello h = new ClusterMessages.Hello(-2, "colby", "10.0.0.1", 7, "ab");
        assertEquals("{\"snid\":4294967294,\"name\":\"colby\",\"address\":\"10.0.0.1\",\"version\":7,\"sha256\":\"ab\"}",
                ClusterMessages.encode(h).toString());
        assertEquals(h, ClusterMessages.hello(ClusterMessages.encode(h)));

        ClusterMessages.Status s = new ClusterMessages.Status(7, 9, "d", 3, Instant.parse("2027-01-01T00:00:00Z"));
        assertEquals("{\"version\":7,\"policyVersion\":9,\"digest\":\"d\",\"queuedAlarms\":3,"
                + "\"certExpiry\":\"2027-01-01T00:00:00Z\"}", ClusterMessages.encode(s).toString());
        assertEquals(s, ClusterMessages.status(ClusterMessages.encode(s)));

        ClusterMessages.PolicyAck ok = new ClusterMessages.PolicyAck(5, null);
        assertEquals("{\"version\":5,\"ok\":true}", ClusterMessages.encode(ok).toString());
        assertEquals(ok, ClusterMessages.policyAck(ClusterMessages.encode(ok)));
        ClusterMessages.PolicyAck refused = new ClusterMessages.PolicyAck(6, "bad signature");
        assertEquals("{\"version\":6,\"ok\":false,\"error\":\"bad signature\"}", ClusterMessages.encode(refused).toString());
        assertEquals(refused, ClusterMessages.policyAck(ClusterMessages.encode(refused)));

        assertEquals("{\"stored\":true,\"duplicate\":false}",
                ClusterMessages.encode(new ClusterMessages.AlarmStored(false)).toString());
        assertThrows(IllegalArgumentException.class, () -> ClusterMessages.alarmStored(Json.object()));
    }

    /** The CRL travels as base64 DER (ClusterTopics once said PEM while the SS sent DER). */
    @Test
    void crlAndHelloReplyAndRenewal() throws Exception {
        Fixture f = new Fixture(tmp.resolve("ca"));
        var crl = f.ca.crl();
        var msg = ClusterMessages.encode(new ClusterMessages.CrlUpdate(crl));
        assertEquals(java.util.Base64.getEncoder().encodeToString(crl.getEncoded()), msg.get("crl").asText());
        assertEquals(crl, ClusterMessages.crlUpdate(msg).crl());

        AuditCheckpoint a = new AuditCheckpoint(50, "a".repeat(64), 1, Instant.parse("2026-12-04T10:00:00Z"));
        ClusterMessages.HelloReply r = new ClusterMessages.HelloReply(3, crl, Optional.of(a));
        ClusterMessages.HelloReply back = ClusterMessages.helloReply(ClusterMessages.encode(r));
        assertEquals(3, back.version());
        assertEquals(crl, back.crl());
        assertEquals(Optional.of(a), back.auditAnchor());
        assertEquals(Optional.empty(), ClusterMessages.helloReply(ClusterMessages.encode(
                new ClusterMessages.HelloReply(3, crl, Optional.empty()))).auditAnchor());
        assertEquals(a, ClusterMessages.checkpointStored(ClusterMessages.encode(new ClusterMessages.CheckpointStored(a)))
                .anchor());

        NodeKeys node = f.joinedNode(tmp, 2);
        RenewalRequest req = node.prepareRenewal(CertificateRole.CHANNEL);
        RenewalRequest req2 = ClusterMessages.renewalRequest(ClusterMessages.encode(req));
        assertEquals(req.role(), req2.role());
        assertEquals(req.current(), req2.current());
        assertEquals(java.util.Arrays.toString(req.csr()), java.util.Arrays.toString(req2.csr()));
        assertEquals(java.util.Arrays.toString(req.proof()), java.util.Arrays.toString(req2.proof()));
        var cert = node.channelCertificate();
        assertEquals(cert, ClusterMessages.renewed(ClusterMessages.encode(new ClusterMessages.Renewed(cert))).certificate());
    }

    private static byte[] key(int first) {
        byte[] k = new byte[16];
        for (int i = 0; i < 16; i++) {
            k[i] = (byte) (first + i);
        }
        return k;
    }

    @Test
    void labelKeySetAndAck() {
        ClusterMessages.LabelKeySet set = new ClusterMessages.LabelKeySet(1, List.of(
                new ClusterMessages.LabelKey(1, 2, key(0)), new ClusterMessages.LabelKey(2, -2, key(16))));
        assertEquals("{\"sendEpoch\":1,\"keys\":[{\"epoch\":1,\"peer\":2,\"key\":\"AAECAwQFBgcICQoLDA0ODw==\"},"
                + "{\"epoch\":2,\"peer\":4294967294,\"key\":\"EBESExQVFhcYGRobHB0eHw==\"}]}",
                ClusterMessages.encode(set).toString());
        assertEquals(set, ClusterMessages.labelKeySet(ClusterMessages.encode(set)));
        assertEquals(List.of(1, 2), set.epochs());
        // no key bytes in what could end up in a log line
        assertFalse(set.toString().contains("AAEC"), set.toString());
        assertEquals("LabelKey[epoch=1, peer=2]", set.keys().get(0).toString());

        ClusterMessages.LabelKeysAck ok = new ClusterMessages.LabelKeysAck(2, List.of(1, 2), null);
        assertEquals("{\"sendEpoch\":2,\"epochs\":[1,2],\"ok\":true}", ClusterMessages.encode(ok).toString());
        assertEquals(ok, ClusterMessages.labelKeysAck(ClusterMessages.encode(ok)));
        ClusterMessages.LabelKeysAck failed = new ClusterMessages.LabelKeysAck(2, List.of(1, 2), "DSM unavailable: x");
        assertEquals("{\"sendEpoch\":2,\"epochs\":[1,2],\"ok\":false,\"error\":\"DSM unavailable: x\"}",
                ClusterMessages.encode(failed).toString());
        assertEquals(failed, ClusterMessages.labelKeysAck(ClusterMessages.encode(failed)));
    }

    /** What a node could never hold: the decoder refuses it before it reaches the kernel. */
    @Test
    void malformedLabelKeySetsAreRefused() {
        var k1 = new ClusterMessages.LabelKey(1, 2, key(0));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKey(1, 2, new byte[15]));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKey(0, 2, key(0)));
        // send epoch not held
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKeySet(3, List.of(k1)));
        // epochs 1 and 257 travel alike
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKeySet(1,
                List.of(k1, new ClusterMessages.LabelKey(257, 2, key(1)))));
        // epoch 256 travels as 0 ("no key")
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKeySet(256,
                List.of(new ClusterMessages.LabelKey(256, 2, key(1)))));
        // three epochs
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKeySet(1, List.of(k1,
                new ClusterMessages.LabelKey(2, 2, key(1)), new ClusterMessages.LabelKey(3, 2, key(2)))));
        // the same pair twice
        assertThrows(IllegalArgumentException.class, () -> new ClusterMessages.LabelKeySet(1,
                List.of(k1, new ClusterMessages.LabelKey(1, 2, key(1)))));
        // a short key on the wire
        var wire = ClusterMessages.encode(new ClusterMessages.LabelKeySet(1, List.of(k1)));
        ((com.fasterxml.jackson.databind.node.ObjectNode) wire.get("keys").get(0)).put("key", "AAEC");
        assertThrows(IllegalArgumentException.class, () -> ClusterMessages.labelKeySet(wire));
        assertEquals(0, ClusterMessages.labelKeySet(ClusterMessages.encode(
                new ClusterMessages.LabelKeySet(0, List.of()))).sendEpoch());
    }
}
