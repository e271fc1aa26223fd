package org.opendsi.access.internal;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;

import org.opendsi.api.Permission;
import org.opendsi.api.policy.PolicyListener;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.policy.CompiledPolicy;
import org.opendsi.policy.DspCompiler;

/** A PolicyService stand-in answering decide() with the last applied policy. */
final class TestPolicy {

    volatile CompiledPolicy current;

    void apply(PolicyListener listener, String xml, long version) throws Exception {
        current = DspCompiler.compile("t.xml", xml.getBytes(StandardCharsets.UTF_8)).withVersion(version);
        listener.policyApplied(null, current.table());
    }

    PolicyService service() {
        return (PolicyService) Proxy.newProxyInstance(PolicyService.class.getClassLoader(),
                new Class<?>[] {PolicyService.class}, (p, m, a) -> {
                    if (m.getName().equals("decide")) {
                        return current.decide((Integer) a[0], (Integer) a[1], (Integer) a[2], (Permission) a[3]);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }
}
