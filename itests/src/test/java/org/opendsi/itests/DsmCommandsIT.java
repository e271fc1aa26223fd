package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import java.util.List;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.opendsi.dsm.Dsm;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The DSM commands in Karaf with the real kernel DSM attached to a cgroup subtree and pin
 * directory of this test's own (no interfaces: no traffic is touched). Needs root; otherwise the
 * test is skipped and the reason printed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DsmCommandsIT extends DsiTestSupport {

    /** Named in the driver JVM and handed to the container, where the test methods run. */
    private static final String TAG = System.getProperty("dsi.itest.tag", "dsi-itest-" + ProcessHandle.current().pid());

    @Inject
    protected Dsm dsm;

    @Override
    protected Option[] extraOptions() {
        return realDsmOptions(TAG).toArray(new Option[0]);
    }

    @Test
    public void dsmCommandsAgainstTheRealKernel() throws Exception {
        String status = execute("dsi:dsm");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !dsm.status().available()) {
            System.out.println("SKIPPED DsmCommandsIT: " + (root ? dsm.status().summary() : "not root"));
            assertTrue(status, status.contains("unavailable"));
            assumeTrue("kernel DSM unavailable: " + dsm.status().summary(), false);
        }
        try {
            assertTrue(status, status.contains("available"));
            assertTrue(status, status.contains(TAG));

            // SetSID on a copy of a real binary, then ls_dsi shows the label
            Path dir = Files.createTempDirectory("dsi-ls");
            Path bin = dir.resolve("PhoneManiaEP");
            Files.copy(Path.of("/bin/true"), bin, StandardCopyOption.REPLACE_EXISTING);
            String setSid = execute("dsi:set-sid " + bin + " 10");
            assertEquals("Changing from SID 0 to SID 10", setSid.trim());
            assertEquals(10, dsm.readLabel(bin));
            // the operator's label change is journaled by the auditing service
            await("the LABEL record of " + bin, () -> {
                for (String l : execute("dsi:audit --no-format --limit 0").split("\\R")) {
                    if (l.contains("LABEL") && l.contains("Operator labeled " + bin + " with context 10")) {
                        return true;
                    }
                }
                return false;
            });
            String ls = execute("dsi:ls --no-format " + dir);
            assertTrue(ls, ls.matches("(?s).*\\b10\\b.*PhoneManiaEP.*"));

            // a process moved into context 10 is listed by dsi:ps with that context
            dsm.createContext(10);
            Process sleeper = new ProcessBuilder("sleep", "60").start();
            try {
                dsm.movePid((int) sleeper.pid(), 10);
                String ps = execute("dsi:ps --no-format");
                assertTrue(ps, ps.matches("(?s).*\\b" + sleeper.pid() + "\\s+10\\s+sleep 60.*"));
            } finally {
                sleeper.destroyForcibly().waitFor();
            }

            // an applied policy is loaded into the kernel: dsi:dsm shows its version
            String update = execute("dsi:policy-update " + sample("virtual-zones.xml"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Policy version (\\d+)").matcher(update);
            assertTrue(update, m.find());
            long version = Long.parseLong(m.group(1));
            assertEquals(version, dsm.tableVersion());
            String after = execute("dsi:dsm --no-format");
            assertTrue(after, after.matches("(?s).*table version\\s+" + version + "\\b.*"));

            String detached = execute("dsi:dsm --detach");
            assertTrue(detached, detached.startsWith("DSM detached"));
            assertFalse(dsm.status().available());
        } finally {
            if (dsm.status().available()) {
                dsm.detach();
            }
        }
        assertFalse("pins removed", Files.exists(Path.of("/sys/fs/bpf/" + TAG)));
    }
}
