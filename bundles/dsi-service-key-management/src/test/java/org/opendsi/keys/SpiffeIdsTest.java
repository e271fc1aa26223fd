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
}
