package org.opendsi.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpiffeIdsTest {

    @Test
    void parsesTheThreeForms() {
        assertEquals(SpiffeId.server("dsi"), SpiffeId.parse("spiffe://dsi/ss"));
        assertEquals(SpiffeId.node("dsi", 3), SpiffeId.parse("spiffe://dsi/node/3"));
        SpiffeId p = SpiffeId.parse("spiffe://my-cluster.example/node/4294967294/scid/10");
        assertEquals("my-cluster.example", p.cluster());
        assertEquals(0xFFFFFFFE, p.snid());
        assertEquals(10, p.scid());
        assertEquals("spiffe://my-cluster.example/node/4294967294/scid/10", p.uri());
    }

    @Test
    void refusesMalformedIds() {
        for (String bad : List.of("http://dsi/ss", "spiffe://dsi", "spiffe://dsi/", "spiffe://DSI/ss",
                "spiffe://dsi/node/0", "spiffe://dsi/node/4294967295", "spiffe://dsi/node/01",
                "spiffe://dsi/node/+1", "spiffe://dsi/node/1/scid/", "spiffe://dsi/node/1/scid/x",
                "spiffe://dsi/node/1/pid/3", "spiffe://dsi/node/1/scid/2/extra", "spiffe://dsi/node/99999999999")) {
            assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse(bad), bad);
        }
    }

    @Test
    void chainConsistencyCatchesANodeCaSigningForAnotherNode(@TempDir Path tmp) {
        Fixture f = new Fixture(tmp);
        NodeKeys colby = f.join(1, "colby");
        NodeKeys munster = f.join(2, "munster");
        ProcessCredentials p = colby.issueProcessCredentials(10, null);
        assertEquals(SpiffeId.process(Fixture.CLUSTER, 1, 10), SpiffeIds.checkChain(p.chain(), Fixture.CLUSTER));
        // wrong cluster
        assertThrows(IllegalArgumentException.class, () -> SpiffeIds.checkChain(p.chain(), "other"));
        // a process leaf shown with another node's CA
        assertThrows(IllegalArgumentException.class,
                () -> SpiffeIds.checkChain(List.of(p.chain().get(0), munster.nodeCaCertificate()), Fixture.CLUSTER));
        // a node identity must come straight from the root
        assertThrows(IllegalArgumentException.class,
                () -> SpiffeIds.checkChain(List.of(colby.channelCertificate(), munster.nodeCaCertificate()), Fixture.CLUSTER));
        assertEquals(SpiffeId.node(Fixture.CLUSTER, 1),
                SpiffeIds.checkChain(List.of(colby.channelCertificate(), f.ca.rootCertificate()), Fixture.CLUSTER));
    }
}
