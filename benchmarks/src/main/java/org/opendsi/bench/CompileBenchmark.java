package org.opendsi.bench;

import java.util.concurrent.TimeUnit;

import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.policy.DspLimits;
import org.opendsi.policy.DspParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Parse + schema validation + semantic checks + compile (tables, digest, decision engine) of a
 * generated policy with 100,000 rules (about 9 MB of XML, so the size limit is raised to 64 MiB).
 * Goal: under one second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class CompileBenchmark {

    @Param({"100000"})
    public int rules;

    private byte[] xml;
    private DspParser parser;

    @Setup
    public void setup() {
        xml = PolicyGenerator.generate(2000, 64, rules, 7);
        parser = new DspParser(DspLimits.defaults().withMaxBytes(64L << 20));
    }

    @Benchmark
    public CompiledPolicy parseValidateCompile() throws Exception {
        return DspCompiler.compile(parser.parse("generated.xml", xml));
    }
}
