package org.opendsi.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicyException;

/** Shared helpers: sample paths, inline policies, error assertions. */
final class TestSupport {
    static final Path SAMPLES = Path.of("../../policy-samples");

    private TestSupport() {
    }

    static Path sample(String name) {
        Path p = SAMPLES.resolve(name);
        assertTrue(Files.isRegularFile(p), "sample missing: " + p.toAbsolutePath());
        return p;
    }

    static byte[] sampleBytes(String name) throws IOException {
        return Files.readAllBytes(sample(name));
    }

    static CompiledPolicy compileSample(String name) throws PolicyException {
        return DspCompiler.compile(sample(name));
    }

    /** Wraps body lines into a DSP with contexts 1..3 (a, b, c), nodes 1, 2 and the given sections. */
    static String dsp(String body) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<dsp xmlns=\"urn:opendsi:dsp:1\" name=\"t\">\n"
                + body
                + "</dsp>\n";
    }

    static final String DECLS = ""
            + "  <nodes>\n"
            + "    <node snid=\"1\" name=\"n1\" address=\"10.0.0.1\"/>\n"
            + "    <node snid=\"2\" name=\"n2\" address=\"10.0.0.2\"/>\n"
            + "  </nodes>\n"
            + "  <contexts>\n"
            + "    <context scid=\"1\" name=\"a\"/>\n"
            + "    <context scid=\"2\" name=\"b\"/>\n"
            + "    <context scid=\"3\" name=\"c\" mode=\"audit\"/>\n"
            + "  </contexts>\n";

    static CompiledPolicy compile(String xml) throws PolicyException {
        return DspCompiler.compile("test.xml", xml.getBytes(StandardCharsets.UTF_8));
    }

    static List<PolicyError> errors(String xml) {
        return errors(new DspParser(), xml.getBytes(StandardCharsets.UTF_8));
    }

    static List<PolicyError> errors(DspParser parser, byte[] xml) {
        PolicyException e = assertThrows(PolicyException.class, () -> parser.parse("test.xml", xml));
        assertFalse(e.errors().isEmpty());
        for (PolicyError err : e.errors()) {
            assertTrue(err.line() > 0 && err.column() > 0, "unlocated error " + err);
            assertTrue(err.file().equals("test.xml"), err.toString());
        }
        return e.errors();
    }

    /** Asserts one error is at line:column (column 0 = any) and its message contains text. */
    static PolicyError assertError(List<PolicyError> errors, int line, int column, String text) {
        for (PolicyError e : errors) {
            if (e.line() == line && (column == 0 || e.column() == column) && e.message().contains(text)) {
                return e;
            }
        }
        throw new AssertionError("no error at " + line + ":" + column + " containing '" + text + "' in " + errors);
    }
}
