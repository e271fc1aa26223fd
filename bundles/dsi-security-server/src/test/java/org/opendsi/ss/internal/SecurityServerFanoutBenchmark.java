package org.opendsi.ss.internal;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiSettings;
import org.opendsi.keys.PkixValidator;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.policy.internal.PolicyServiceImpl;
import org.opendsi.scc.SccClient;
import org.opendsi.scc.SccConnectionState;
import org.opendsi.scc.SccCredentials;
import org.opendsi.scc.SccMessage;
import org.opendsi.scc.SccOptions;
import org.opendsi.scc.SccPriority;
import org.opendsi.scc.SccTransport;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.ServerStore;
import org.opendsi.ss.StoredAlarm;
import org.opendsi.cluster.protocol.ClusterTopics;
import org.opendsi.cluster.protocol.JoinClient;
import org.opendsi.cluster.protocol.JoinToken;
import org.opendsi.cluster.protocol.Json;
import org.opendsi.cluster.protocol.NodeConfig;
import org.opendsi.cluster.protocol.NodeRole;
import org.opendsi.cluster.protocol.PolicyMessage;
import org.opendsi.cluster.protocol.PolicySignatureException;
import org.opendsi.cluster.protocol.PolicySignatures;
import org.opendsi.cluster.protocol.SignedPolicy;

/**
 * Cluster policy fan-out benchmark (not part of the test run; see README.md for the command).
 *
 * <p>Three JVMs: this launcher (the Maven JVM of {@code exec:java}) starts, for each N, a Security
 * Server JVM ({@code ss}; -Xmx from {@code ss.bench.ssHeap}, 512m by default) that runs the real
 * {@link ServerRuntime} (cluster CA, {@link FileServerStore}, SCC hub, join endpoint) fed by the real
 * {@link PolicyServiceImpl}; that JVM starts a clients JVM ({@code clients}) in which N Security-Manager
 * stand-ins join through the real join endpoint ({@link JoinClient}, one-time tokens created by the SS),
 * connect N real {@link SccClient}s over one shared {@link SccTransport} (mutual TLS 1.3), say hello
 * like the SM, and for each {@code dsi/policy} message do what {@code ManagerRuntime.handlePolicy}
 * does up to the apply: verify the signer chain and signature ({@link PolicySignatures#verify}, root CRL
 * required), refuse old versions, rebuild the source from the patch, check its hash, compile it and
 * compare the digest; then ack on {@code dsi/policy-ack}. Not done per stand-in: {@code
 * PolicyService.applyVersion} (history write, DSM load) and the fsync'd {@code sm/policy.json}.
 *
 * <p>One round: the SS applies the seed-002 policy ({@code policy-samples/virtual-zones.xml}) with node
 * 2's address changed (a new signed version, sent as a patch against the acked one) through
 * {@code PolicyService.updateSource} (what {@code dsi:policy-update} does); the time runs from the
 * policy service's call of {@link ServerRuntime#policyApplied} until the SS store has recorded the
 * ack of that version for all N nodes (a {@link ServerStore} decorator around the real store sees it).
 *
 * <p>System properties: ss.bench.clients (100,1000), ss.bench.rounds (30), ss.bench.warmup (5),
 * ss.bench.ssHeap (512m), ss.bench.clientsHeap (1g), ss.bench.clientThreads (2), ss.bench.serverThreads (2),
 * ss.bench.verifyThreads (2), ss.bench.ackOnReceipt (false: the stand-ins verify and compile like an SM; true: they
 * ack on receipt, which isolates the Security Server and the channel), ss.bench.policy (policy-samples/virtual-zones.xml, searched upwards).
 */
public final class SecurityServerFanoutBenchmark {

    private static final String CLUSTER = "dsi";
    private static final int FIRST_SNID = 1000;
    private static final String SEED_ADDRESS = "address=\"10.77.0.2\"";

    private SecurityServerFanoutBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("ss")) {
            securityServer(Integer.parseInt(args[1]), Paths.get(args[2]));
        } else if (args.length > 0 && args[0].equals("clients")) {
            clients(args[1], Integer.parseInt(args[2]), Paths.get(args[3]), Paths.get(args[4]));
        } else {
            launcher();
        }
    }

    // ================================================================ launcher (Maven JVM)

    private static void launcher() throws Exception {
        int[] ns = Arrays.stream(System.getProperty("ss.bench.clients", "100,1000").split(","))
                .map(String::trim).mapToInt(Integer::parseInt).toArray();
        Path policy = findPolicy();
        List<String> results = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int n : ns) {
            List<String> cmd = javaCommand(System.getProperty("ss.bench.ssHeap", "512m"));
            cmd.addAll(List.of(SecurityServerFanoutBenchmark.class.getName(), "ss", Integer.toString(n),
                    policy.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.out.println(line);
                    if (line.startsWith("RESULT ")) {
                        results.add(line.substring(7));
                    }
                }
            }
            int rc = p.waitFor();
            if (rc != 0) {
                results.add("N=" + n + ": Security Server JVM exited with " + rc);
            }
        }
        System.out.println();
        System.out.printf("=== Security Server fan-out results (%d cores, total %d s) ===%n",
                Runtime.getRuntime().availableProcessors(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
        results.forEach(System.out::println);
        System.out.flush();
        System.exit(0);
    }

    private static Path findPolicy() {
        String p = System.getProperty("ss.bench.policy");
        if (p != null) {
            return Paths.get(p).toAbsolutePath();
        }
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("policy-samples").resolve("virtual-zones.xml");
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        throw new IllegalStateException("policy-samples/virtual-zones.xml not found above " + Paths.get("").toAbsolutePath()
                + "; set -Dss.bench.policy=");
    }

    /** java -Xmx.. -cp (this JVM's class path, also under exec:java's class loader) ... */
    private static List<String> javaCommand(String heap) {
        List<String> cp = new ArrayList<>();
        for (ClassLoader l = Thread.currentThread().getContextClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        cp.add(Paths.get(url.toURI()).toString());
                    } catch (Exception e) {
                        throw new IllegalStateException("class path entry " + url, e);
                    }
                }
            }
        }
        if (cp.isEmpty()) {
            cp.add(System.getProperty("java.class.path"));
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        for (String k : List.of("ss.bench.rounds", "ss.bench.warmup", "ss.bench.clientsHeap", "ss.bench.clientThreads",
                "ss.bench.serverThreads", "ss.bench.verifyThreads", "ss.bench.ackOnReceipt")) {
            String v = System.getProperty(k);
            if (v != null) {
                cmd.add("-D" + k + "=" + v);
            }
        }
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, cp));
        return cmd;
    }

    // ================================================================ Security Server JVM

    /** Wraps the real store: completes the round when all N nodes' acks of the target version are stored. */
    private static final class AckWatch implements ServerStore {
        private final ServerStore d;
        private volatile long target = Long.MAX_VALUE;
        private final Set<Integer> acked = new HashSet<>();
        private volatile int n;
        private volatile CompletableFuture<Long> done = new CompletableFuture<>();

        AckWatch(ServerStore d) {
            this.d = d;
        }

        synchronized CompletableFuture<Long> expect(long version, int count) {
            target = version;
            n = count;
            acked.clear();
            done = new CompletableFuture<>();
            return done;
        }

        @Override
        public void putNode(NodeRecord r) {
            putNodes(List.of(r));
        }

        @Override
        public void putNodes(List<NodeRecord> records) {
            d.putNodes(records); // durable when it returns: that is "recorded"
            records.forEach(this::observe);
        }

        private void observe(NodeRecord r) {
            if (r.ackError() != null && r.ackError().startsWith("v" + target + ":")) {
                done.completeExceptionally(new IllegalStateException("node " + r.snid() + " refused: " + r.ackError()));
            } else if (r.ackedVersion() >= target) {
                synchronized (this) {
                    if (acked.add(r.snid()) && acked.size() == n) {
                        done.complete(System.nanoTime());
                    }
                }
            }
        }

        @Override public List<NodeRecord> nodes() { return d.nodes(); }
        @Override public Optional<NodeRecord> node(int snid) { return d.node(snid); }
        @Override public boolean addAlarm(StoredAlarm a) { return d.addAlarm(a); }
        @Override public List<StoredAlarm> alarms() { return d.alarms(); }
        @Override public boolean updateAlarm(StoredAlarm a) { return d.updateAlarm(a); }
        @Override public Set<Integer> compromised() { return d.compromised(); }
        @Override public void addCompromised(int snid) { d.addCompromised(snid); }
        @Override public void putPolicy(long version, byte[] xml) { d.putPolicy(version, xml); }
        @Override public Optional<byte[]> policy(long version) { return d.policy(version); }
        @Override public List<Long> policyVersions() { return d.policyVersions(); }
        @Override public java.util.Optional<org.opendsi.ss.StoredCheckpoint> auditAnchor(int n) { return d.auditAnchor(n); }
        @Override public void putAuditAnchor(int n, org.opendsi.ss.StoredCheckpoint c) { d.putAuditAnchor(n, c); }
        @Override public Optional<org.opendsi.ss.StoredLabelKeys> labelKeys() { return d.labelKeys(); }
        @Override public void putLabelKeys(org.opendsi.ss.StoredLabelKeys k) { d.putLabelKeys(k); }
    }

    private static void securityServer(int n, Path policyFile) throws Exception {
        int rounds = Integer.getInteger("ss.bench.rounds", 30);
        int warmup = Integer.getInteger("ss.bench.warmup", 5);
        byte[] seed = Files.readAllBytes(policyFile);
        String seedText = new String(seed, StandardCharsets.UTF_8);
        if (!seedText.contains(SEED_ADDRESS)) {
            throw new IllegalStateException(policyFile + " no longer contains " + SEED_ADDRESS);
        }
        Path dir = Files.createTempDirectory("dsi-ss-bench-");
        System.out.printf("[ss] N=%d: Security Server JVM, max heap %d MB, data %s%n", n,
                Runtime.getRuntime().maxMemory() >> 20, dir);
        NodeConfig cfg = new NodeConfig(NodeRole.SERVER, CLUSTER, 1, "ss", "127.0.0.1", "127.0.0.1", 0, "127.0.0.1", 0, 0,
                dir, 10000, 5);
        AckWatch store = new AckWatch(new FileServerStore(dir.resolve("ss")));
        PolicyServiceImpl policyService = new PolicyServiceImpl();
        policyService.activate(Map.of(PolicyServiceImpl.HISTORY_DIR, dir.resolve("policy").toString()));
        SccTransport transport = SccTransport.newTransport(Integer.getInteger("ss.bench.clientThreads", 2),
                Integer.getInteger("ss.bench.serverThreads", 2));
        ServerRuntime ss = new ServerRuntime(cfg, policyService, transport, store,
                new org.opendsi.keys.ClusterCa(PkiSettings.of(dir.resolve("keys"), CLUSTER)));
        ss.start();
        // t0 of a round: the policy service calls this listener right before ServerRuntime.policyApplied
        Map<Long, Long> appliedAt = new ConcurrentHashMap<>();
        policyService.addListener(new PolicyListener() {
            @Override
            public void policyApplied(PolicyVersion version, CompiledTable table) {
                appliedAt.putIfAbsent(version.version(), System.nanoTime());
            }
        });
        policyService.addListener(ss);
        policyService.updateSource("benchmark seed", seed); // version 1, before any node joins

        Path tokens = dir.resolve("tokens.txt");
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(ss.createToken(FIRST_SNID + i, "", Duration.ofHours(1), false)); // token idx is for node FIRST_SNID + idx
        }
        Files.write(tokens, list);
        long heapIdle = usedAfterGc();

        List<String> cmd = javaCommand(System.getProperty("ss.bench.clientsHeap", "1g"));
        cmd.addAll(List.of(SecurityServerFanoutBenchmark.class.getName(), "clients",
                "127.0.0.1:" + ss.joinSocketAddress().getPort(), Integer.toString(n), tokens.toString(),
                dir.resolve("nodes").toString()));
        Process clients = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        AtomicReference<String> clientStats = new AtomicReference<>("");
        Map<Long, long[]> times = new ConcurrentHashMap<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.startsWith("TIMES ")) {
                        System.out.println("[clients] " + line);
                    }
                    if (line.startsWith("READY")) {
                        ready.complete(null);
                    } else if (line.startsWith("TIMES ")) {
                        String[] w = line.split(" ");
                        times.put(Long.parseLong(w[1]), new long[] {Long.parseLong(w[2]), Long.parseLong(w[3]),
                                Long.parseLong(w[4])});
                        continue;
                    } else if (line.startsWith("STATS ")) {
                        clientStats.set(line.substring(6));
                    }
                }
            } catch (IOException e) {
                // child gone
            }
            ready.completeExceptionally(new IllegalStateException("clients JVM ended before READY"));
        }, "clients-out");
        pump.setDaemon(true);
        pump.start();
        long tc = System.nanoTime();
        ready.get(10, TimeUnit.MINUTES);
        // the SS sent v1 in full to each after its hello; wait until all acked it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ss.status().connectedNodes() < n
                || store.nodes().stream().filter(r -> r.ackedVersion() >= 1).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + ss.status().connectedNodes() + " connected / "
                        + store.nodes().stream().filter(r -> r.ackedVersion() >= 1).count() + " acked v1");
            }
            Thread.sleep(20);
        }
        System.out.printf("[ss] N=%d: all joined, connected and acked v1 in %d ms%n", n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - tc));
        long heapConnected = usedAfterGc();
        resetPeaks();
        long gc0 = gcMillis();

        long[] samples = new long[rounds];
        long[] versions = new long[rounds];
        long maxUsedSeen = 0;
        for (int r = 0; r < warmup + rounds; r++) {
            byte[] xml = seedText.replace(SEED_ADDRESS, "address=\"10.78." + (r / 200) + "." + (r % 200 + 2) + "\"")
                    .getBytes(StandardCharsets.UTF_8);
            long next = policyService.current().map(PolicyVersion::version).orElse(0L) + 1;
            CompletableFuture<Long> done = store.expect(next, n);
            PolicyVersion v = policyService.updateSource("benchmark round " + r, xml);
            if (v.version() != next) {
                throw new IllegalStateException("expected version " + next + ", got " + v.version());
            }
            long end = done.get(120, TimeUnit.SECONDS);
            long t = end - appliedAt.get(v.version());
            if (r >= warmup) {
                samples[r - warmup] = t;
                versions[r - warmup] = v.version();
            } else {
                System.out.printf("[ss] N=%d warm-up round %d: %.1f ms%n", n, r, t / 1e6);
            }
            maxUsedSeen = Math.max(maxUsedSeen, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            Thread.sleep(50);
        }
        long peakPools = peakHeapPools();
        long heapAfter = usedAfterGc();
        String sendKinds = ""; // from the clients' view
        clients.getOutputStream().close(); // tells the clients JVM to print its stats and exit
        clients.waitFor(30, TimeUnit.SECONDS);
        pump.join(5000);
        sendKinds = clientStats.get();
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        double p50 = sorted[(int) Math.floor(0.50 * (rounds - 1))] / 1e6;
        double p99 = sorted[(int) Math.ceil(0.99 * (rounds - 1))] / 1e6;
        double max = sorted[rounds - 1] / 1e6;
        double mean = Arrays.stream(samples).average().orElse(0) / 1e6;
        // where the time goes (medians over the measured rounds), from the clients' CLOCK_MONOTONIC stamps
        long[] first = new long[rounds];
        long[] last = new long[rounds];
        long[] lastAck = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long[] t = times.get(versions[i]);
            long a = appliedAt.get(versions[i]);
            if (t != null) {
                first[i] = t[0] - a;
                last[i] = t[1] - a;
                lastAck[i] = t[2] - a;
            }
        }
        String phases = String.format("applied->first SM received %.1f ms, ->last SM received %.1f ms, "
                + "->last ack sent %.1f ms, ->all N acks stored %.1f ms (medians)", median(first), median(last),
                median(lastAck), p50);
        String line = String.format("N=%4d rounds=%d (+%d warm-up): p50=%.1f ms p99=%.1f ms max=%.1f ms mean=%.1f ms | "
                        + "SS JVM heap (-Xmx%d MB): after GC idle %d MB, after GC with N connected %d MB, after rounds %d MB, "
                        + "peak used %d MB (sum of pool peaks %d MB), GC time during rounds %d ms | %s | clients: %s",
                n, rounds, warmup, p50, p99, max, mean, Runtime.getRuntime().maxMemory() >> 20, heapIdle >> 20,
                heapConnected >> 20, heapAfter >> 20, maxUsedSeen >> 20, peakPools >> 20, gcMillis() - gc0, phases,
                sendKinds);
        System.out.println("RESULT " + line);
        System.out.flush();
        ss.close();
        transport.close();
        System.exit(0);
    }

    static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[(s.length - 1) / 2] / 1e6;
    }

    private static long gcMillis() {
        long s = 0;
        for (java.lang.management.GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            s += Math.max(0, g.getCollectionTime());
        }
        return s;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    /** Upper bound of the heap used during the rounds (the pools peak at different moments). */
    private static long peakHeapPools() {
        long s = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                s += p.getPeakUsage().getUsed();
            }
        }
        return s;
    }

    // ================================================================ clients JVM (N Security-Manager stand-ins)

    /** One SM stand-in: its keys, its SCC client and its last good signed version. */
    private static final class Sm {
        final NodeKeys keys;
        volatile SccClient client;
        SignedPolicy signed;
        byte[] signedXml;

        Sm(NodeKeys keys) {
            this.keys = keys;
        }
    }

    private static final AtomicLong PATCHES = new AtomicLong();
    private static final AtomicLong FULLS = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();
    private static final AtomicLong HANDLE_NANOS = new AtomicLong();
    private static final AtomicLong VERIFY_NANOS = new AtomicLong();
    private static final AtomicLong COMPILE_NANOS = new AtomicLong();
    /** version -> {first received, last received, last ack published} (System.nanoTime: CLOCK_MONOTONIC, same on both JVMs). */
    private static final Map<Long, long[]> TIMES = new ConcurrentHashMap<>();

    private static void mark(long version, long received, long acked) {
        long[] t = TIMES.computeIfAbsent(version, v -> new long[] {Long.MAX_VALUE, 0, 0});
        synchronized (t) {
            t[0] = Math.min(t[0], received);
            t[1] = Math.max(t[1], received);
            t[2] = Math.max(t[2], acked);
        }
    }

    private static void clients(String joinEndpoint, int n, Path tokensFile, Path nodesDir) throws Exception {
        PrintStream out = System.out;
        String host = joinEndpoint.substring(0, joinEndpoint.lastIndexOf(':'));
        int joinPort = Integer.parseInt(joinEndpoint.substring(joinEndpoint.lastIndexOf(':') + 1));
        List<String> tokens = Files.readAllLines(tokensFile);
        // 1. real join: key pairs + CSRs here, TLS to the SS join endpoint, one-time token redeemed there
        long t0 = System.nanoTime();
        Sm[] sms = new Sm[n];
        AtomicInteger sccPort = new AtomicInteger();
        ExecutorService joiners = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int idx = i;
            fs.add(joiners.submit(() -> {
                int snid = FIRST_SNID + idx;
                NodeKeys k = new NodeKeys(PkiSettings.of(nodesDir.resolve("node-" + snid), CLUSTER));
                JoinToken t = JoinToken.parse(tokens.get(idx));
                JoinClient.Result r = JoinClient.join(host, joinPort, CLUSTER, t, snid, "n" + snid, "127.0.0.1",
                        k.prepareJoin("n" + snid), 30_000);
                k.install(r.certificates(), t.rootFingerprint());
                sccPort.set(r.sccPort());
                sms[idx] = new Sm(k);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get(10, TimeUnit.MINUTES);
        }
        joiners.shutdown();
        out.printf("%d nodes joined through the join endpoint in %d ms%n", n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        // 2. N real SCC clients on one transport, options as ManagerRuntime.connect
        long t1 = System.nanoTime();
        int verifyThreads = Integer.getInteger("ss.bench.verifyThreads", 2);
        ExecutorService work = Executors.newFixedThreadPool(verifyThreads);
        SccTransport transport = SccTransport.newTransport(Integer.getInteger("ss.bench.clientThreads", 2),
                Integer.getInteger("ss.bench.serverThreads", 2));
        SccOptions opts = SccOptions.defaults().toBuilder().serverIdentityPrefix("spiffe://" + CLUSTER + "/ss")
                .heartbeatInterval(Duration.ofSeconds(5)).heartbeatTimeout(Duration.ofSeconds(15))
                .backoffMax(Duration.ofSeconds(5)).build();
        AtomicInteger helloed = new AtomicInteger();
        List<CompletableFuture<Void>> batch = new ArrayList<>();
        for (Sm sm : sms) {
            Credentials c = sm.keys.channelCredentials();
            SccCredentials sc = new SccCredentials(c.privateKey(), c.chain(), c.trustAnchors(),
                    () -> (Collection<java.security.cert.X509CRL>) sm.keys.crls());
            SccClient cl = transport.createClient(sc, opts, host, sccPort.get());
            sm.client = cl;
            cl.subscribe(ClusterTopics.POLICY, (peer, m) -> {
                long received = System.nanoTime();
                work.execute(() -> onPolicy(sm, m, received));
            });
            cl.subscribe(ClusterTopics.CRL, (peer, m) -> work.execute(() -> onCrl(sm, m.payload())));
            cl.addStateListener((state, cause) -> {
                if (state == SccConnectionState.CONNECTED) {
                    work.execute(() -> hello(sm, helloed));
                }
            });
            batch.add(cl.connect());
            if (batch.size() == 50) {
                CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                batch.clear();
            }
        }
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        while (helloed.get() < n) {
            Thread.sleep(10);
        }
        out.printf("%d SCC clients connected (mutual TLS 1.3) and said hello in %d ms%n", n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
        out.println("READY");
        out.flush();
        // 3. react until the SS closes our stdin
        while (System.in.read() >= 0) {
            // ignore
        }
        long handled = PATCHES.get() + FULLS.get();
        for (Map.Entry<Long, long[]> e : new java.util.TreeMap<>(TIMES).entrySet()) {
            out.printf("TIMES %d %d %d %d%n", e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]);
        }
        out.printf("STATS versions > 1: %d patches, %d full sources, %d refused; SM stand-in work %.2f ms per message "
                        + "(signature+chain %.2f, compile %.2f; %d worker threads shared by all N)%n", PATCHES.get(),
                FULLS.get(), REFUSED.get(), handled == 0 ? 0.0 : HANDLE_NANOS.get() / 1e6 / handled,
                handled == 0 ? 0.0 : VERIFY_NANOS.get() / 1e6 / handled,
                handled == 0 ? 0.0 : COMPILE_NANOS.get() / 1e6 / handled, verifyThreads);
        out.flush();
        for (Sm sm : sms) {
            sm.client.close();
        }
        transport.close();
        System.exit(0);
    }

    private static void hello(Sm sm, AtomicInteger helloed) {
        ObjectNode hello = Json.object();
        hello.put("snid", Integer.toUnsignedLong(sm.keys.snid()));
        hello.put("name", sm.keys.nodeName());
        hello.put("address", "127.0.0.1");
        synchronized (sm) {
            hello.put("version", sm.signed == null ? 0 : sm.signed.version());
            hello.put("sha256", sm.signed == null ? "" : sm.signed.sha256());
        }
        try {
            SccMessage reply = sm.client.request(ClusterTopics.HELLO, hello, SccPriority.CONTROL,
                    Duration.ofSeconds(30)).get();
            onCrl(sm, reply.payload());
            helloed.incrementAndGet();
        } catch (Exception e) {
            System.out.println("hello of node " + sm.keys.snid() + " failed: " + e);
        }
    }

    private static void onCrl(Sm sm, com.fasterxml.jackson.databind.JsonNode payload) {
        if (payload.has("crl")) {
            sm.keys.updateCrl(Json.crl(Json.unb64(payload, "crl")));
        }
    }

    /** ManagerRuntime.handlePolicy without PolicyService.applyVersion and the policy.json write. */
    private static void onPolicy(Sm sm, SccMessage m, long received) {
        if (Boolean.getBoolean("ss.bench.ackOnReceipt")) {
            // measures the Security Server and the channel alone: sign, patch, fan out, record acks
            long version = PolicyMessage.fromJson(m.payload()).envelope().version();
            ObjectNode o = Json.object();
            o.put("version", version);
            o.put("ok", true);
            sm.client.publish(ClusterTopics.POLICY_ACK, o, SccPriority.CONTROL).exceptionally(e -> null);
            mark(version, received, System.nanoTime());
            return;
        }
        long t = System.nanoTime();
        long tv = 0;
        long tc = 0;
        PolicyMessage msg = PolicyMessage.fromJson(m.payload());
        SignedPolicy env = msg.envelope();
        String error = null;
        synchronized (sm) {
            try {
                PolicySignatures.verify(env, CLUSTER, sm.keys.trustAnchors(), sm.keys.crls(), Instant.now(),
                        PkixValidator.Revocation.ROOT_REQUIRED);
                tv = System.nanoTime();
                if (sm.signed != null && env.version() <= sm.signed.version()) {
                    if (env.version() != sm.signed.version() || !env.sha256().equals(sm.signed.sha256())) {
                        throw new PolicySignatureException("policy v" + env.version() + " refused: not newer than "
                                + sm.signed.version());
                    }
                } else {
                    byte[] xml = msg.source(sm.signedXml); // the benchmark never sends a patch that does not apply
                    PolicySignatures.checkContent(env, xml);
                    long c0 = System.nanoTime();
                    CompiledPolicy compiled = DspCompiler.compile("signed policy v" + env.version(), xml);
                    tc = System.nanoTime() - c0;
                    if (!compiled.digest().equals(env.digest())) {
                        throw new PolicySignatureException("policy v" + env.version() + " refused: digest mismatch");
                    }
                    sm.signed = env;
                    sm.signedXml = xml;
                }
            } catch (Exception e) {
                error = String.valueOf(e.getMessage());
                REFUSED.incrementAndGet();
            }
        }
        if (env.version() > 1) {
            (msg.isPatch() ? PATCHES : FULLS).incrementAndGet();
            HANDLE_NANOS.addAndGet(System.nanoTime() - t);
            VERIFY_NANOS.addAndGet(tv == 0 ? 0 : tv - t);
            COMPILE_NANOS.addAndGet(tc);
        }
        ObjectNode o = Json.object();
        o.put("version", env.version());
        o.put("ok", error == null);
        if (error != null) {
            o.put("error", error);
        }
        sm.client.publish(ClusterTopics.POLICY_ACK, o, SccPriority.CONTROL).exceptionally(e -> null);
        mark(env.version(), received, System.nanoTime());
    }
}
