package org.opendsi.itests;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.opendsi.itests.process.KarafNode;

/**
 * The cluster as an operator runs it: a Security Server (SnID 1) and two Security Managers (SnIDs 2
 * and 3), each a separate Karaf process on loopback with its own ports and data, driven through
 * bin/client. The methods run in name order and build on each other.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ClusterIT {

    private static final Path WORK = Path.of("target/cluster-nodes");
    private static KarafNode ss;
    private static KarafNode sm2;
    private static KarafNode sm3;
    private static int joinPort;
    private static String sm2Token;
    private static long version;
    /** Figures printed at the end (propagation and isolation times). */
    private static final List<String> FIGURES = new ArrayList<>();

    private static final String POLICY = """
            <?xml version="1.0" encoding="UTF-8"?>
            <dsp xmlns="urn:opendsi:dsp:1" name="%s">
              <default decision="deny" external="allow"/>
              <nodes>
                <node snid="1" name="ss" address="10.77.0.1"/>
                <node snid="2" name="sm2" address="10.77.0.2"/>
                <node snid="3" name="sm3" address="10.77.0.3"/>
              </nodes>
              <contexts>
                <context scid="10" name="phonemania"/>
                <context scid="20" name="ringbell"/>
              </contexts>
              <rules>
                <allow source="10" target="10" permissions="create bind connect send receive"/>
                %s
              </rules>
            </dsp>
            """;

    @BeforeClass
    public static void startCluster() throws Exception {
        joinPort = KarafNode.freePort();
        int sccPort = KarafNode.freePort();
        List<Callable<KarafNode>> unpack = List.of(() -> KarafNode.unpack("ss", WORK), () -> KarafNode.unpack("sm2", WORK),
                () -> KarafNode.unpack("sm3", WORK));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<KarafNode>> f = pool.invokeAll(unpack);
            ss = f.get(0).get();
            sm2 = f.get(1).get();
            sm3 = f.get(2).get();
            ss.set("org.opendsi.node", "role", "server");
            ss.set("org.opendsi.node", "name", "ss");
            ss.set("org.opendsi.node", "listen.host", "127.0.0.1");
            ss.set("org.opendsi.node", "listen.port", Integer.toString(sccPort));
            ss.set("org.opendsi.node", "join.port", Integer.toString(joinPort));
            for (KarafNode n : List.of(sm2, sm3)) {
                String snid = n == sm2 ? "2" : "3";
                n.set("org.opendsi.node", "role", "manager");
                n.set("org.opendsi.node", "snid", snid);
                n.set("org.opendsi.node", "name", n.name());
                n.set("org.opendsi.node", "ss.port", Integer.toString(sccPort));
                n.set("org.opendsi.node", "heartbeat.seconds", "2");
            }
            ss.set("org.opendsi.node", "heartbeat.seconds", "2");
            Files.writeString(ss.home().resolve("etc/dsi/cluster.xml"), String.format(POLICY, "cluster", ""));
            Files.writeString(ss.home().resolve("etc/dsi/cluster-2.xml"), String.format(POLICY, "cluster",
                    "<allow source=\"20\" target=\"20\" permissions=\"send receive\"/>"));
            Files.writeString(sm2.home().resolve("etc/dsi/cluster.xml"), String.format(POLICY, "local", ""));
            startAll(pool, ss, sm2, sm3);
        } finally {
            pool.shutdown();
        }
    }

    private static void startAll(ExecutorService pool, KarafNode... nodes) throws Exception {
        List<Callable<Void>> starts = new ArrayList<>();
        for (KarafNode n : nodes) {
            starts.add(() -> {
                n.start();
                return null;
            });
        }
        for (Future<Void> f : pool.invokeAll(starts)) {
            f.get();
        }
    }

    @AfterClass
    public static void stopCluster() throws Exception {
        for (KarafNode n : new KarafNode[] {sm3, sm2, ss}) {
            if (n != null) {
                n.kill();
            }
        }
        System.out.println("ClusterIT figures:\n  " + String.join("\n  ", FIGURES));
    }

    private static String token(String ttl, int snid) throws Exception {
        String out = ss.client("dsi:token-create --snid " + snid + " --ttl " + ttl);
        Matcher m = Pattern.compile("(dsi-[A-Za-z0-9_-]{43}\\.[0-9a-f]{64})").matcher(out);
        assertTrue(out, m.find());
        return m.group(1);
    }

    private static String join(KarafNode n, String token) throws Exception {
        return n.client("dsi:join 127.0.0.1:" + joinPort + " " + token);
    }

    /** The row of SnID snid in dsi:nodes --no-format (tab separated). */
    private static String[] nodeRow(String nodes, int snid) {
        for (String line : nodes.split("\n")) {
            String[] f = line.trim().split("\\s*\t\\s*");
            if (f.length >= 5 && f[0].trim().equals(Integer.toString(snid))) {
                return f;
            }
        }
        return null;
    }

    private static boolean acked(String nodes, int snid, long v, String state) {
        String[] r = nodeRow(nodes, snid);
        return r != null && r[3].trim().equals(state) && Long.parseLong(r[4].trim()) >= v;
    }

    private static long policyVersion(String updateOutput) {
        Matcher m = Pattern.compile("Policy version (\\d+) is now current").matcher(updateOutput);
        assertTrue(updateOutput, m.find());
        return Long.parseLong(m.group(1));
    }

    /** Milliseconds between the SS signing version v and the SM applying it, from the two logs. */
    private static long propagationMillis(KarafNode sm, long v) throws Exception {
        LocalDateTime signed = logTime(ss, "Policy version " + v + " signed and sent");
        LocalDateTime applied = logTime(sm, "signed policy version " + v + " (");
        return signed == null || applied == null ? -1 : java.time.Duration.between(signed, applied).toMillis();
    }

    private static LocalDateTime logTime(KarafNode n, String text) throws Exception {
        for (String line : Files.readAllLines(n.home().resolve("data/log/karaf.log"))) {
            if (line.contains(text)) {
                return LocalDateTime.parse(line.substring(0, 23).replace(',', '.'), DateTimeFormatter.ISO_LOCAL_DATE_TIME);
            }
        }
        return null;
    }

    @Test
    public void t1_joinWithAValidToken() throws Exception {
        sm2Token = token("10m", 2);
        String j2 = join(sm2, sm2Token);
        assertTrue(j2, j2.contains("Joined cluster 'dsi' as node 2"));
        String j3 = join(sm3, token("10m", 3));
        assertTrue(j3, j3.contains("Joined cluster 'dsi' as node 3"));
        ss.awaitOutput("dsi:nodes --no-format", out -> acked(out, 2, 1, "CONNECTED") && acked(out, 3, 1, "CONNECTED"), 30);
        String cluster = sm2.client("dsi:cluster --no-format");
        assertTrue(cluster, cluster.contains("CONNECTED"));
    }

    @Test
    public void t2_reusedOrExpiredTokensAreRefused() throws Exception {
        String reuse = join(sm3, sm2Token);
        assertTrue(reuse, reuse.contains("Join failed") && reuse.contains("already used"));
        String shortLived = token("1s", 3);
        Thread.sleep(1500); // deliberate: lets the token's 1 s lifetime pass (nothing to await: expiry is time itself)
        String expired = join(sm3, shortLived);
        assertTrue(expired, expired.contains("Join failed") && expired.contains("expired"));
        String wrongFp = join(sm3, token("10m", 3).replaceAll("\\.[0-9a-f]{64}$", "." + "0".repeat(64)));
        assertTrue(wrongFp, wrongFp.contains("Join failed") && wrongFp.contains("not the Security Server"));
        // a token is for one node: one for SnID 3 does not let node 2 join (again) with it
        String wrongNode = join(sm2, token("10m", 3));
        assertTrue(wrongNode, wrongNode.contains("Join failed") && wrongNode.contains("it is for SnID 3"));
        // and a node whose certificates are live is not taken over without --replace
        String takeOver = join(sm3, token("10m", 3));
        assertTrue(takeOver, takeOver.contains("Join failed") && takeOver.contains("--replace"));
        // sm3 keeps its credentials and its connection
        ss.awaitOutput("dsi:nodes --no-format", out -> acked(out, 3, 1, "CONNECTED"), 15);
    }

    @Test
    public void t3_policyUpdateReachesBothManagersWhichAckIt() throws Exception {
        String up = ss.client("dsi:policy-update etc/dsi/cluster.xml");
        version = policyVersion(up);
        ss.awaitOutput("dsi:nodes --no-format", out -> acked(out, 2, version, "CONNECTED")
                && acked(out, 3, version, "CONNECTED"), 20);
        for (KarafNode sm : List.of(sm2, sm3)) {
            String p = sm.client("dsi:policy -s");
            assertTrue(p, p.contains("Policy version " + version + " ") && p.contains("security-server v" + version));
            assertTrue(sm.client("dsi:check 10 2 10 receive").contains("ALLOW"));
            FIGURES.add("policy v" + version + " signed on the SS -> applied on " + sm.name() + ": "
                    + propagationMillis(sm, version) + " ms");
        }
    }

    @Test
    public void t4_aManagerRefusesALocalPolicyUpdate() throws Exception {
        String out = sm2.client("dsi:policy-update etc/dsi/cluster.xml");
        assertTrue(out, out.contains("refused") && out.contains("Security Manager"));
        assertTrue(sm2.client("dsi:policy -s").contains("Policy version " + version + " "));
        String nodes = sm2.client("dsi:nodes");
        assertTrue(nodes, nodes.contains("runs on the Security Server"));
    }

    @Test
    public void t5_anAlarmRaisedOnAManagerReachesTheServer() throws Exception {
        String raised = sm2.client("dsi:alarm-raise --priority HIGH disk full on sm2");
        assertTrue(raised, raised.contains("raised"));
        ss.awaitOutput("dsi:alarms --no-format", out -> out.contains("disk full on sm2") && out.contains("HIGH")
                && out.contains("sm2"), 15);
    }

    @Test
    public void t6_restarts() throws Exception {
        // Security Server down; SM 3 restarts meanwhile and must enforce its stored policy before reconnecting
        ss.stop();
        sm3.stop();
        sm2.awaitOutput("dsi:cluster --no-format", out -> !out.matches("(?s).*connection\\s+CONNECTED.*"), 30);
        String raised = sm2.client("dsi:alarm-raise --priority CRITICAL raised while the SS was down");
        assertTrue(raised, raised.contains("raised"));
        String queued = sm2.client("dsi:cluster --no-format");
        assertTrue(queued, queued.matches("(?s).*queued alarms\\s+1\\b.*"));
        sm3.start();
        String p3 = sm3.client("dsi:policy -s");
        assertTrue(p3, p3.contains("Policy version " + version + " "));
        // start() returns once dsi:policy answers; the Security Manager component may register a moment later
        String c3 = sm3.awaitOutput("dsi:cluster --no-format",
                out -> out.matches("(?s).*signed policy version\\s+" + version + "\\b.*"), 30);
        assertFalse(c3, c3.matches("(?s).*connection\\s+CONNECTED.*"));
        assertTrue(sm3.client("dsi:check 10 2 10 receive").contains("ALLOW"));

        ss.start();
        ss.awaitOutput("dsi:alarms --no-format", out -> out.contains("raised while the SS was down"), 30);
        ss.awaitOutput("dsi:nodes --no-format", out -> acked(out, 2, version, "CONNECTED")
                && acked(out, 3, version, "CONNECTED"), 30);
        long next = policyVersion(ss.client("dsi:policy-update etc/dsi/cluster-2.xml"));
        assertTrue(next > version);
        version = next;
        ss.awaitOutput("dsi:nodes --no-format", out -> acked(out, 2, version, "CONNECTED")
                && acked(out, 3, version, "CONNECTED"), 20);
        assertTrue(sm3.client("dsi:check 20 2 20 receive").contains("ALLOW"));
        // the SS lists the alarm once stored; sm2 drops it from its queue when the SS's ack arrives
        sm2.awaitOutput("dsi:cluster --no-format", out -> out.matches("(?s).*queued alarms\\s+0\\b.*"), 30);
    }

    @Test
    public void t7_compromisedNodeIsRevokedDisconnectedAndIsolated() throws Exception {
        assertTrue(sm2.client("dsi:policy-nodes --no-format").matches("(?s).*\\n3\\s+10\\.77\\.0\\.3.*"));
        String out = ss.client("dsi:compromised 3");
        assertTrue(out, out.contains("declared compromised") && out.contains("certificates revoked: 2")
                && out.contains("disconnected: yes"));
        Matcher m = Pattern.compile("isolated by (\\d+) of (\\d+) connected node\\(s\\) in (\\d+) ms").matcher(out);
        assertTrue(out, m.find());
        assertTrue(out, m.group(1).equals("1") && m.group(2).equals("1"));
        long ms = Long.parseLong(m.group(3));
        FIGURES.add("dsi:compromised 3 -> SM 2 acked the amended policy in " + ms + " ms");
        assertTrue("isolation took " + ms + " ms", ms < 1000);
        String nodes2 = sm2.client("dsi:policy-nodes --no-format");
        assertFalse(nodes2, nodes2.matches("(?s).*\\n3\\s+10\\.77\\.0\\.3.*"));
        assertTrue(nodes2, nodes2.matches("(?s).*\\n2\\s+10\\.77\\.0\\.2.*"));
        String table = ss.client("dsi:nodes --no-format");
        assertTrue(table, nodeRow(table, 3)[3].trim().equals("COMPROMISED"));
        String alarms = ss.client("dsi:alarms --no-format");
        assertTrue(alarms, alarms.contains("CRITICAL") && alarms.contains("node 3 (sm3) declared compromised"));
        // its certificate is revoked: it stays outside, whatever it retries. Deliberate pause: sm3's
        // reconnect attempts during these 6 s must all fail; an absence cannot be awaited
        Thread.sleep(6000);
        String c3 = sm3.client("dsi:cluster --no-format");
        assertFalse(c3, c3.matches("(?s).*connection\\s+CONNECTED.*"));
        assertTrue(nodeRow(ss.client("dsi:nodes --no-format"), 3)[3].trim().equals("COMPROMISED"));
        // and cannot come back with a new token
        String rejoin = join(sm3, token("10m", 3));
        assertTrue(rejoin, rejoin.contains("Join failed") && rejoin.contains("compromised"));
    }
}
