package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/** The policy commands of the foundation issue, run in the built distribution as an operator would. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PolicyCommandsIT extends DsiTestSupport {

    private static final Pattern CURRENT = Pattern.compile("Policy version (\\d+) is now current");

    @Test
    public void dsiFeaturesAreInstalledAndBundlesActive() throws Exception {
        String features = execute("feature:list -i --no-format");
        for (String f : new String[] {"dsi-api", "dsi-policy", "dsi-shell", "dsi "}) {
            assertTrue("feature " + f + " installed:\n" + features, features.contains(f.trim()));
        }
        for (String name : new String[] {"dsi-api", "dsi-policy", "dsi-shell"}) {
            Bundle b = Arrays.stream(bundleContext.getBundles()).filter(x -> name.equals(x.getSymbolicName()))
                    .findFirst().orElseThrow(() -> new AssertionError(name + " not installed"));
            assertEquals(name + " active", Bundle.ACTIVE, b.getState());
        }
        assertTrue(execute("help dsi").contains("policy-update"));
    }

    /**
     * Karaf lets anyone run a command its ACL does not name, so every dsi: command must be named in
     * org.apache.karaf.command.acl.dsi; and a viewer reads but cannot change the policy.
     */
    @Test
    public void everyDsiCommandIsGuardedAndAViewerCannotChangeThePolicy() throws Exception {
        java.util.Properties acl = new java.util.Properties();
        try (java.io.Reader r = Files.newBufferedReader(Path.of(System.getProperty("karaf.etc"),
                "org.apache.karaf.command.acl.dsi.cfg"))) {
            acl.load(r);
        }
        java.util.List<String> commands = as("it-admin", ADMIN_ROLES, () -> sessionFactory.getRegistry().getCommands()
                .stream().filter(c -> "dsi".equals(c.getScope())).map(c -> c.getName()).sorted().toList());
        assertTrue(commands.toString(), commands.size() >= 20);
        for (String c : commands) {
            assertTrue("dsi:" + c + " has no entry in the command ACL, so any user may run it",
                    acl.stringPropertyNames().contains(c));
        }
        assertEquals("admin", acl.getProperty("policy-update"));

        String before = execute("dsi:policy -s");
        String asViewer = executeAs("viewer", "dsi:policy -s");
        assertTrue(asViewer, asViewer.contains("Policy version"));
        String refused = executeAs("viewer", "dsi:policy-update " + sample("permissive.xml"));
        assertTrue(refused, refused.contains("Insufficient credentials") || refused.contains("Command not found"));
        assertEquals(before, execute("dsi:policy -s"));
        String admin = executeAs("admin", "dsi:policy-check " + sample("permissive.xml"));
        assertTrue(admin, admin.contains("is valid"));
    }

    @Test
    public void operatorWorkflow() throws Exception {
        String check = execute("dsi:policy-check " + sample("virtual-zones.xml"));
        assertTrue(check, check.contains("is valid"));
        assertTrue(check, check.matches("(?s).*digest\\s*\\|?\\s*[0-9a-f]{64}.*"));

        String update = execute("dsi:policy-update " + sample("virtual-zones.xml"));
        long version = version(update);

        // the seed 002 decisions
        assertTrue(execute("dsi:check 10 1 10 receive").startsWith("ALLOW 10@1 -> 10 receive: rule"));
        assertTrue(execute("dsi:check 10 2 10 receive").startsWith("ALLOW"));
        String fraud = execute("dsi:check 10 1 20 receive");
        assertTrue(fraud, fraud.startsWith("DENY 10@1 -> 20 receive"));
        assertTrue(execute("dsi:check 20 2 10 send").startsWith("DENY"));
        assertTrue(execute("dsi:check 30 1 20 receive").startsWith("ALLOW"));
        assertTrue(execute("dsi:check 2 1 10 transition").startsWith("ALLOW"));
        assertTrue(execute("dsi:check 0 0 10 receive").startsWith("DENY"));

        String policy = execute("dsi:policy");
        assertTrue(policy, policy.contains("Policy version " + version));
        assertTrue(policy, policy.contains("virtual-zones"));

        // a broken policy is rejected with file:line:column and the running one stays in force
        Path broken = Files.createTempFile("broken", ".xml");
        String text = Files.readString(Path.of(sample("virtual-zones.xml")), StandardCharsets.UTF_8)
                .replaceFirst("scid=\"20\"", "scid=\"twenty\"");
        Files.writeString(broken, text);
        String rejected = executeFailing("dsi:policy-update " + broken);
        assertTrue(rejected, rejected.matches("(?s).*" + Pattern.quote(broken.toString()) + ":\\d+:\\d+: .*"));
        assertTrue(rejected, rejected.contains("running policy is unchanged"));
        assertTrue(execute("dsi:policy -s").contains("Policy version " + version));
        String checkBroken = executeFailing("dsi:policy-check " + broken);
        assertTrue(checkBroken, checkBroken.contains("is invalid"));

        // diff against the permissive policy names changes; against itself none
        String diff = execute("dsi:policy-diff " + sample("permissive.xml"));
        assertTrue(diff, diff.matches("(?s).*\\d+ change\\(s\\).*"));
        assertTrue(execute("dsi:policy-diff " + sample("virtual-zones.xml")).contains("No differences"));

        // history and rollback
        long permissive = version(execute("dsi:policy-update " + sample("permissive.xml")));
        assertTrue(permissive > version);
        assertTrue(execute("dsi:check 10 1 20 receive").startsWith("ALLOW"));
        String history = execute("dsi:policy-history --no-format");
        assertTrue(history, history.contains(Long.toString(version)) && history.contains(Long.toString(permissive)));
        String rollback = execute("dsi:policy-rollback " + version);
        assertTrue(rollback, rollback.contains("Rolled back to the content of version " + version));
        assertTrue(execute("dsi:check 10 1 20 receive").startsWith("DENY"));
        assertFalse(execute("dsi:policy -s").contains("Policy version " + permissive + " "));
    }

    @Test
    public void overlappingAllowAndDenyIsAWarningAndDenyWins() throws Exception {
        Path overlap = Files.createTempFile("overlap", ".xml");
        Files.writeString(overlap, "<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"overlap\">\n"
                + "  <contexts><context scid=\"10\" name=\"a\"/><context scid=\"20\" name=\"b\"/></contexts>\n"
                + "  <rules>\n"
                + "    <allow source=\"10\" target=\"20\" permissions=\"send receive\"/>\n"
                + "    <deny source=\"10\" target=\"20\" permissions=\"receive\"/>\n"
                + "  </rules>\n</dsp>\n");
        String check = execute("dsi:policy-check " + overlap);
        assertTrue(check, check.contains("is valid"));
        assertTrue(check, check.matches("(?s).*warning: " + Pattern.quote(overlap.toString()) + ":\\d+:\\d+: .*"));
    }

    @Test
    public void invalidArgumentsAreExplained() throws Exception {
        String bad = executeFailing("dsi:check 10 1 20 fly");
        assertTrue(bad, bad.contains("unknown permission 'fly'"));
        String missing = executeFailing("dsi:policy-check /nonexistent/dsp.xml");
        assertTrue(missing, missing.contains("/nonexistent/dsp.xml"));
    }

    private static long version(String output) {
        Matcher m = CURRENT.matcher(output);
        assertTrue(output, m.find());
        return Long.parseLong(m.group(1));
    }
}
