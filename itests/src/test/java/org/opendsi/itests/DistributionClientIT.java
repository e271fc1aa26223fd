package org.opendsi.itests;

import static org.junit.Assert.assertTrue;

import java.nio.file.Path;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.opendsi.itests.process.KarafNode;

/**
 * The distribution as an operator runs it: unpacked, started with bin/karaf server, and driven by
 * scripts through bin/client (the way the README and CI use it). No Pax Exam here.
 */
public class DistributionClientIT {

    private static KarafNode node;
    /** What dsi:policy printed right after boot, before any test changed the policy. */
    private static String policyAtBoot;

    @BeforeClass
    public static void startDistribution() throws Exception {
        node = KarafNode.unpack("client-it", Path.of("target/process-nodes"));
        node.start();
        policyAtBoot = node.client("dsi:policy -s");
    }

    @AfterClass
    public static void stopDistribution() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    @Test
    public void bootsWithTheBootPolicyAndAnswersScripts() throws Exception {
        assertTrue(policyAtBoot, policyAtBoot.contains("Policy version 1 ") && policyAtBoot.contains("boot.xml"));
        String check = node.client("dsi:check 10 1 20 receive");
        assertTrue(check, check.contains("DENY 10@1 -> 20 receive"));
    }

    @Test
    public void scriptedPolicyUpdateAndCheck() throws Exception {
        String update = node.client("dsi:policy-update etc/dsi/virtual-zones.xml");
        assertTrue(update, update.contains("is now current"));
        assertTrue(node.client("dsi:check 10 1 10 receive").contains("ALLOW 10@1 -> 10 receive"));
        assertTrue(node.client("dsi:check 10 1 20 receive").contains("DENY 10@1 -> 20 receive"));
        String history = node.client("dsi:policy-history --no-format");
        assertTrue(history, history.contains("virtual-zones"));
        String rejected = node.client("dsi:policy-update etc/dsi/no-such-policy.xml");
        assertTrue(rejected, rejected.contains("no-such-policy.xml") && rejected.contains("running policy is unchanged"));
    }
}
