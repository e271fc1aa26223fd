package org.opendsi.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.opendsi.api.Permission;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.policy.DspLimits;
import org.opendsi.policy.DspParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decisions per second on one thread. Each invocation answers {@value #BATCH} precomputed
 * queries (a mix of rule hits, node-specific hits and default misses); the score is in
 * decisions per second. Goal: at least 20 million per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecisionBenchmark {

    static final int BATCH = 4096;

    /** seed002 = policy-samples/virtual-zones.xml; large = generated 2,000 contexts, 64 nodes, 100,000 rules. */
    @Param({"seed002", "large"})
    public String policy;

    private CompiledPolicy compiled;
    private final int[] subject = new int[BATCH];
    private final int[] node = new int[BATCH];
    private final int[] target = new int[BATCH];
    private final Permission[] permission = new Permission[BATCH];

    @Setup
    public void setup() throws Exception {
        Random rnd = new Random(2004);
        int[] ids;
        int nodes;
        if (policy.equals("seed002")) {
            byte[] xml;
            try (var in = DecisionBenchmark.class.getResourceAsStream("/policy-samples/virtual-zones.xml")) {
                xml = in.readAllBytes();
            }
            compiled = DspCompiler.compile("virtual-zones.xml", xml);
            ids = new int[] {0, 2, 10, 20, 30, 40};
            nodes = 3;
            for (int i = 0; i < BATCH; i++) {
                subject[i] = ids[rnd.nextInt(ids.length)];
                target[i] = ids[rnd.nextInt(ids.length)];
                node[i] = rnd.nextInt(nodes);
                permission[i] = Permission.values()[rnd.nextInt(6)];
            }
        } else {
            byte[] xml = PolicyGenerator.generate(2000, 64, 100_000, 7);
            compiled = DspCompiler.compile(new DspParser(DspLimits.defaults().withMaxBytes(64L << 20))
                    .parse("generated.xml", xml));
            // half the queries hit a record of the table, half are random pairs (mostly the default)
            var access = compiled.table().access();
            for (int i = 0; i < BATCH; i++) {
                if (i % 2 == 0) {
                    var a = access.get(rnd.nextInt(access.size()));
                    subject[i] = a.srcScid();
                    target[i] = a.tgtScid();
                    node[i] = a.srcSnid() == -1 ? 1 + rnd.nextInt(64) : a.srcSnid();
                } else {
                    subject[i] = 1 + rnd.nextInt(2000);
                    target[i] = 1 + rnd.nextInt(2000);
                    node[i] = 1 + rnd.nextInt(64);
                }
                permission[i] = Permission.values()[rnd.nextInt(6)];
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int decide() {
        int acc = 0;
        CompiledPolicy p = compiled;
        for (int i = 0; i < BATCH; i++) {
            acc += p.decide(subject[i], node[i], target[i], permission[i]).ruleId();
        }
        return acc;
    }
}
