package org.opendsi.webview.internal;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.policy.PolicyChange;
import org.opendsi.api.policy.PolicyCheck;
import org.opendsi.api.policy.PolicyException;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.policy.RuleInfo;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;
import org.opendsi.ss.DenialFlow;
import org.opendsi.ss.NodeRecord;
import org.opendsi.ss.SecurityServer;
import org.opendsi.ss.ServerStatus;
import org.opendsi.ss.StoredAlarm;

/** Test doubles of the Security Server and the policy service. */
final class Fakes {

    static final Path SAMPLES = Path.of("../../policy-samples");

    private Fakes() {
    }

    /**
     * A Security Server whose records the test sets, seen through {@link #proxy()} (a dynamic proxy, so
     * methods added to the interface later need no change here; those the view must not call fail).
     */
    static final class FakeSecurityServer {
        volatile List<NodeRecord> nodes = List.of();
        volatile List<StoredAlarm> alarms = List.of();
        volatile long policyVersion;
        volatile int snid = 1;
        volatile List<DenialFlow> denials = List.of();
        volatile Instant askedSince;
        final List<Consumer<List<DenialFlow>>> followers = new CopyOnWriteArrayList<>();

        ServerStatus status() {
            int open = (int) alarms.stream().filter(a -> !a.acked()).count();
            return new ServerStatus("server", "test-cluster", snid, "127.0.0.1:8843", "127.0.0.1:8844", "ab",
                    policyVersion, nodes.size(), nodes.size(), open);
        }

        @SuppressWarnings("unchecked")
        SecurityServer proxy() {
            return (SecurityServer) Proxy.newProxyInstance(Fakes.class.getClassLoader(), new Class<?>[] {SecurityServer.class},
                    (p, m, args) -> switch (m.getName()) {
                        case "nodes" -> nodes;
                        case "alarms" -> alarms;
                        case "status" -> status();
                        case "denials" -> {
                            askedSince = (Instant) args[0];
                            yield denials;
                        }
                        case "followDenials" -> {
                            Consumer<List<DenialFlow>> l = (Consumer<List<DenialFlow>>) args[0];
                            followers.add(l);
                            yield (AutoCloseable) () -> followers.remove(l);
                        }
                        case "hashCode" -> System.identityHashCode(p);
                        case "equals" -> p == args[0];
                        case "toString" -> "FakeSecurityServer";
                        default -> throw new AssertionError("the view must not call " + m.getName());
                    });
        }
    }

    /** A policy service over sample DSPs, versions 1..n in order, the last one current. */
    static final class FakePolicyService implements PolicyService {
        final TreeMap<Long, byte[]> sources = new TreeMap<>();
        final TreeMap<Long, PolicyVersion> versions = new TreeMap<>();
        CompiledPolicy current;

        FakePolicyService(String... samples) throws Exception {
            for (String s : samples) {
                add(Files.readAllBytes(SAMPLES.resolve(s)), s);
            }
        }

        void add(byte[] xml, String name) throws PolicyException {
            long v = versions.isEmpty() ? 1 : versions.lastKey() + 1;
            CompiledPolicy p = DspCompiler.compile(name, xml).withVersion(v);
            sources.put(v, xml);
            versions.put(v, new PolicyVersion(v, Instant.parse("2025-01-01T00:00:00Z").plusSeconds(v * 60), name,
                    p.summary()));
            current = p;
        }

        @Override
        public PolicyCheck check(Path file) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PolicyVersion update(Path file) {
            throw new AssertionError("the view is read-only");
        }

        @Override
        public PolicyVersion updateSource(String source, byte[] dspXml) {
            throw new AssertionError("the view is read-only");
        }

        @Override
        public PolicyVersion applyVersion(String source, byte[] dspXml, long version) {
            throw new AssertionError("the view is read-only");
        }

        @Override
        public Optional<byte[]> currentSource() {
            return versions.isEmpty() ? Optional.empty() : Optional.of(sources.lastEntry().getValue().clone());
        }

        @Override
        public Optional<PolicyVersion> current() {
            return versions.isEmpty() ? Optional.empty() : Optional.of(versions.lastEntry().getValue());
        }

        @Override
        public List<RuleInfo> rules() {
            return current == null ? List.of() : current.rules();
        }

        @Override
        public Optional<CompiledTable> currentTable() {
            return current == null ? Optional.empty() : Optional.of(current.table());
        }

        @Override
        public List<PolicyChange> diff(Path file) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<PolicyVersion> history() {
            return new ArrayList<>(versions.values());
        }

        @Override
        public Optional<byte[]> source(long version) {
            byte[] b = sources.get(version);
            return b == null ? Optional.empty() : Optional.of(b.clone());
        }

        @Override
        public PolicyVersion rollback(long version) {
            throw new AssertionError("the view is read-only");
        }

        @Override
        public Decision decide(int subjectScid, int subjectSnid, int targetScid, Permission permission) {
            return current.decide(subjectScid, subjectSnid, targetScid, permission);
        }
    }

    static Map<String, String> form(String user, String password) {
        return Map.of("username", user, "password", password);
    }
}
