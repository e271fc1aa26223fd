package org.opendsi.shell.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmException;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.LeaseStatus;
import org.opendsi.ss.SecurityServer;

class LabelKeysCommandTest {

    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream printed = new PrintStream(buf, true, StandardCharsets.UTF_8);

    private String shown() {
        printed.flush();
        return buf.toString(StandardCharsets.UTF_8);
    }

    private LabelKeysCommand command() {
        LabelKeysCommand c = new LabelKeysCommand() {
            @Override
            protected PrintStream out() {
                return printed;
            }
        };
        c.noFormat = true;
        return c;
    }

    private static <T> T proxy(Class<T> type, java.util.function.Function<String, Object> answers) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, m, a) -> answers.apply(m.getName())));
    }

    private static final LabelKeyStatus ROTATING = new LabelKeyStatus(4,
            List.of(new LabelKeyStatus.Epoch(4, Instant.parse("2027-01-01T00:00:00Z"), true, LabelKeyStatus.EpochState.SENDING),
                    new LabelKeyStatus.Epoch(5, Instant.parse("2027-01-02T00:00:00Z"), false,
                            LabelKeyStatus.EpochState.DISTRIBUTING)),
            List.of(new LabelKeyStatus.Node(1, true, 4, List.of(4, 5), Instant.parse("2027-01-02T00:00:01Z"), null),
                    new LabelKeyStatus.Node(3, false, 4, List.of(4), null, "DSM unavailable: not root")),
            true, false, null);

    @Test
    void theSecurityServerShowsEpochsAndWhatEachNodeHolds() throws Exception {
        LabelKeysCommand c = command();
        c.securityServer = proxy(SecurityServer.class, m -> m.equals("labelKeys") ? ROTATING
                : m.equals("lease") ? LeaseStatus.SOLE : null);
        c.execute();
        String out = shown();
        assertFalse(out.contains("standby"), out);
        assertTrue(out.contains("Send epoch: 4; rotation under way"), out);
        assertTrue(out.matches("(?s).*\\n\\s*4\\s+2027-01-01T00:00:00Z\\s+yes\\s+sending\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n\\s*5\\s+2027-01-02T00:00:00Z\\s+no\\s+distributing\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n\\s*1\\s+yes\\s+4\\s+4,5\\s+.*"), out);
        assertTrue(out.contains("DSM unavailable: not root"), out);
        assertTrue(out.contains("No DSM on this node."), out);
    }

    @Test
    void aStandbySaysWhatItShows() throws Exception {
        LabelKeysCommand c = command();
        LeaseStatus elsewhere = new LeaseStatus(false, "ss1#6a2dd9f6", "127.0.0.1:8843", 3, Instant.now(), null);
        c.securityServer = proxy(SecurityServer.class, m -> m.equals("labelKeys") ? ROTATING
                : m.equals("lease") ? elsewhere : null);
        c.execute();
        String out = shown();
        assertTrue(out.contains("This Security Server is a standby (active: ss1#6a2dd9f6 at 127.0.0.1:8843"), out);
        assertTrue(out.contains("Send epoch: 4; rotation under way"), out);
    }

    @Test
    void rotatePrintsTheNewEpochAndRunsOnTheSecurityServerOnly() throws Exception {
        LabelKeysCommand c = command();
        c.action = "rotate";
        c.securityServer = proxy(SecurityServer.class, m -> switch (m) {
            case "labelKeys" -> ROTATING;
            case "rotateLabelKeys" -> CompletableFuture.completedFuture(6);
            default -> null;
        });
        c.execute();
        String out = shown();
        assertTrue(out.startsWith("Label key epoch 6 created and being handed out (after the rotation that was under way)."),
                out);

        LabelKeysCommand elsewhere = command();
        elsewhere.action = "rotate";
        assertThrows(IllegalStateException.class, elsewhere::execute);
        LabelKeysCommand typo = command();
        typo.action = "rotat";
        assertThrows(IllegalArgumentException.class, typo::execute);
    }

    @Test
    void aNodeShowsWhatItsKernelHolds() throws Exception {
        LabelKeysCommand c = command();
        c.dsm = proxy(Dsm.class, m -> m.equals("labelKeys") ? new Dsm.LabelKeyState(5,
                List.of(new Dsm.LabelKeyState.Held(5, 1), new Dsm.LabelKeyState.Held(5, 2))) : null);
        c.execute();
        String out = shown();
        assertTrue(out.contains("Kernel DSM send epoch: 5"), out);
        assertTrue(out.matches("(?s).*\\n\\s*5\\s+2\\n.*"), out);

        LabelKeysCommand old = command();
        old.dsm = proxy(Dsm.class, m -> {
            throw new DsmException("this DSM does not authenticate labels", DsmException.EOPNOTSUPP);
        });
        old.execute();
        assertTrue(shown().contains("Kernel DSM: this DSM does not authenticate labels"));
    }
}
