package org.opendsi.scc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fan-out benchmark (not part of the test run): one hub and N real TLS clients in one JVM; the hub
 * publishes a ~50 KB message to all, every client answers with an ACK message, and a round ends when
 * the hub has all N acks. Prints p50/p99 per N and the heap in use. See README.md for the command.
 * System properties: scc.bench.clients (default 100,1000), scc.bench.rounds (50), scc.bench.warmup (10),
 * scc.bench.payload (51200 bytes), scc.bench.clientThreads (2), scc.bench.serverThreads (2).
 */
public final class SccFanoutBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int[] ns = Arrays.stream(System.getProperty("scc.bench.clients", "100,1000").split(","))
                .map(String::trim).mapToInt(Integer::parseInt).toArray();
        int rounds = Integer.getInteger("scc.bench.rounds", 50);
        int warmup = Integer.getInteger("scc.bench.warmup", 10);
        int payloadBytes = Integer.getInteger("scc.bench.payload", 50 * 1024);
        int clientThreads = Integer.getInteger("scc.bench.clientThreads", 2);
        int serverThreads = Integer.getInteger("scc.bench.serverThreads", 2);
        System.out.printf("SCC fan-out benchmark: %d cores, max heap %d MB, payload %d bytes, rounds %d (+%d warm-up), "
                        + "I/O threads client %d server %d%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, payloadBytes, rounds, warmup, clientThreads, serverThreads);
        TestPki pki = new TestPki();
        List<String> report = new ArrayList<>();
        for (int n : ns) {
            report.add(run(pki, n, rounds, warmup, payloadBytes, clientThreads, serverThreads));
        }
        System.out.println();
        System.out.println("=== results ===");
        report.forEach(System.out::println);
        System.exit(0);
    }

    static String run(TestPki pki, int n, int rounds, int warmup, int payloadBytes, int clientThreads,
                      int serverThreads) throws Exception {
        System.gc();
        long heapBaseline = usedHeap();
        SccOptions opts = SccOptions.builder().serverIdentityPrefix(TestPki.SS_PREFIX).build();
        try (SccTransport transport = SccTransport.newTransport(clientThreads, serverThreads)) {
            SccServer server = transport.createServer(pki.credentials(pki.ss()), opts,
                    new InetSocketAddress("127.0.0.1", 0)).start();
            AtomicInteger acks = new AtomicInteger();
            AtomicInteger currentRound = new AtomicInteger(-1);
            AtomicReference<CompletableFuture<Long>> roundDone = new AtomicReference<>();
            server.subscribe("bench.ack", (peer, m) -> {
                if (m.payload().path("round").asInt() == currentRound.get() && acks.incrementAndGet() == n) {
                    roundDone.get().complete(System.nanoTime());
                }
            });

            long t0 = System.nanoTime();
            List<SccClient> clients = new ArrayList<>(n);
            List<CompletableFuture<Void>> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                SccClient c = transport.createClient(pki.credentials(pki.node(1000 + i)), opts, "127.0.0.1",
                        server.localAddress().getPort());
                c.subscribe("bench.push", (peer, m) -> {
                    ObjectNode ack = JSON.createObjectNode();
                    ack.put("round", m.payload().path("round").asInt());
                    c.publish("bench.ack", ack, SccPriority.CONTROL);
                });
                clients.add(c);
                batch.add(c.connect());
                if (batch.size() == 50) {
                    CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                    batch.clear();
                }
            }
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            while (server.peers().size() < n) {
                Thread.sleep(10);
            }
            Thread.sleep(200); // SUB frames
            System.out.printf("N=%d: %d clients connected in %d ms%n", n, n,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

            ObjectNode payload = JSON.createObjectNode();
            payload.put("blob", "z".repeat(payloadBytes));
            long[] samples = new long[rounds];
            long peakHeap = 0;
            for (int r = 0; r < warmup + rounds; r++) {
                acks.set(0);
                currentRound.set(r);
                CompletableFuture<Long> done = new CompletableFuture<>();
                roundDone.set(done);
                payload.put("round", r);
                long start = System.nanoTime();
                int sent = server.publish("bench.push", payload, SccPriority.BULK).get(30, TimeUnit.SECONDS);
                if (sent != n) {
                    throw new IllegalStateException("published to " + sent + " of " + n);
                }
                long end = done.get(30, TimeUnit.SECONDS);
                if (r >= warmup) {
                    samples[r - warmup] = end - start;
                }
                peakHeap = Math.max(peakHeap, usedHeap());
                Thread.sleep(20);
            }
            System.gc();
            long heapConnected = usedHeap();
            Arrays.sort(samples);
            double p50 = samples[(int) Math.floor(0.50 * (rounds - 1))] / 1e6;
            double p99 = samples[(int) Math.ceil(0.99 * (rounds - 1))] / 1e6;
            double max = samples[rounds - 1] / 1e6;
            String line = String.format("N=%4d  rounds=%d  p50=%.1f ms  p99=%.1f ms  max=%.1f ms  "
                            + "heap after GC with N connected=%d MB (baseline %d MB; includes the N clients)  peak heap seen=%d MB",
                    n, rounds, p50, p99, max, heapConnected >> 20, heapBaseline >> 20, peakHeap >> 20);
            System.out.println(line);
            for (SccClient c : clients) {
                c.close();
            }
            server.close();
            return line;
        }
    }

    static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private SccFanoutBenchmark() {
    }

    static Duration ms(long nanos) {
        return Duration.ofNanos(nanos);
    }
}
