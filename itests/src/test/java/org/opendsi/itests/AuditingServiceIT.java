package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.opendsi.api.Permission;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.policy.PolicyService;
import org.opendsi.api.policy.PolicyVersion;
import org.opendsi.api.policy.RuleInfo;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmEventListener;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The auditing service in the distribution (an embedded node, its own Security Server): presence
 * announcement, DSM events delivered the way the DSM delivers them (to every registered
 * DsmEventListener) end up in dsi:audit, a burst raises one alarm in dsi:alarms, the bundle can be
 * stopped and started again, and configuration changes apply live.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AuditingServiceIT extends DsiTestSupport {

    private Bundle auditingBundle() {
        for (Bundle b : bundleContext.getBundles()) {
            if ("dsi-service-auditing".equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("dsi-service-auditing is not installed");
    }

    private ServiceReference<AuditService> auditRef() throws Exception {
        Collection<ServiceReference<AuditService>> refs =
                bundleContext.getServiceReferences(AuditService.class, "(dsi.service.type=auditing)");
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    /** Hands the event to every registered DsmEventListener, as dsi-dsm does. */
    private int deliver(DsmEvent e) throws Exception {
        int n = 0;
        for (ServiceReference<DsmEventListener> r : bundleContext.getServiceReferences(DsmEventListener.class, null)) {
            DsmEventListener l = bundleContext.getService(r);
            try {
                l.dsmEvent(e);
                n++;
            } finally {
                bundleContext.ungetService(r);
            }
        }
        return n;
    }

    private PolicyService policy() {
        ServiceReference<PolicyService> r = bundleContext.getServiceReference(PolicyService.class);
        assertNotNull("PolicyService", r);
        return bundleContext.getService(r);
    }

    private static DsmEvent deny(int srcScid, int tgtScid, int ruleId, long policyVersion, int port) {
        return new DsmEvent(System.currentTimeMillis() * 1_000_000L, policyVersion, DsmEvent.Type.DENY.code(),
                Permission.RECEIVE.bit(), srcScid, 1, tgtScid, 2, ruleId, 4242, 0x0A000001, 0x0A000002, 40000, port, 6, 0,
                "PhoneManiaEP", "");
    }

    private String alarms() throws Exception {
        return execute("dsi:alarms --no-format");
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * Sets one property of the org.opendsi.audit configuration through ConfigurationAdmin (the
     * distribution has no config: commands; reached by reflection so this module needs no cm API).
     */
    @SuppressWarnings("unchecked")
    private void setConfig(String key, String value) throws Exception {
        ServiceReference<?> r = bundleContext.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        assertNotNull("ConfigurationAdmin", r);
        Object cm = bundleContext.getService(r);
        Class<?> cmApi = api(cm.getClass(), "org.osgi.service.cm.ConfigurationAdmin");
        Object conf = cmApi.getMethod("getConfiguration", String.class, String.class).invoke(cm, "org.opendsi.audit", null);
        Class<?> confApi = api(conf.getClass(), "org.osgi.service.cm.Configuration");
        Dictionary<String, Object> props = (Dictionary<String, Object>) confApi.getMethod("getProperties").invoke(conf);
        if (props == null) {
            props = new Hashtable<>();
        }
        props.put(key, value);
        confApi.getMethod("update", Dictionary.class).invoke(conf, props);
    }

    /**
     * Sets the repeated-denials threshold and waits until the running detectors use it: ConfigAdmin
     * delivers @Modified asynchronously, so a fixed pause could let the next denials be counted
     * against the old threshold. The registered service object is the auditing runtime; its
     * detectors' threshold is read by reflection (package-private, this module needs no internals).
     */
    private void setDenialThreshold(int count) throws Exception {
        setConfig("detector.denials.count", Integer.toString(count));
        await("detector.denials.count " + count + " in force", () -> denialThreshold() == count);
    }

    private int denialThreshold() throws Exception {
        ServiceReference<AuditService> r = auditRef();
        assertNotNull("AuditService", r);
        Object runtime = bundleContext.getService(r);
        try {
            java.lang.reflect.Method detectors = runtime.getClass().getDeclaredMethod("detectors");
            detectors.setAccessible(true);
            Object d = detectors.invoke(runtime);
            java.lang.reflect.Method count = d.getClass().getDeclaredMethod("denialCount");
            count.setAccessible(true);
            return (Integer) count.invoke(d);
        } finally {
            bundleContext.ungetService(r);
        }
    }

    private static Class<?> api(Class<?> c, String name) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                if (i.getName().equals(name)) {
                    return i;
                }
            }
        }
        throw new AssertionError(c + " does not implement " + name);
    }

    @Test
    public void auditingServiceEndToEnd() throws Exception {
        // 1. presence announcement
        await("AuditService", () -> {
            try {
                return auditRef() != null;
            } catch (Exception e) {
                return false;
            }
        });
        ServiceReference<AuditService> ref = auditRef();
        assertEquals("auditing", ref.getProperty("dsi.service.type"));
        assertEquals(auditingBundle().getVersion().toString(), ref.getProperty("dsi.service.version"));

        // 2. a DSM denial, labelled with the current policy's rule
        PolicyService ps = policy();
        long version = ps.current().map(PolicyVersion::version).orElse(0L);
        List<RuleInfo> rules = ps.rules();
        RuleInfo rule = rules.isEmpty() ? null : rules.get(0);
        int ruleId = rule == null ? 0 : rule.id();
        assertTrue("no DsmEventListener received the event", deliver(deny(10, 20, ruleId, version, 8080)) >= 1);
        String denied = "";
        long end = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < end && !denied.contains("10@1")) {
            denied = execute("dsi:audit --denied --no-format");
            Thread.sleep(100);
        }
        assertTrue(denied, denied.contains("DENY"));
        assertTrue(denied, denied.contains("10@1"));
        assertTrue(denied, denied.contains("20@2"));
        assertTrue(denied, denied.contains("receive"));
        assertTrue(denied, denied.contains("PhoneManiaEP"));
        assertTrue(denied, denied.contains("10.0.0.2:8080"));
        if (rule != null) {
            assertTrue(denied, denied.contains(rule.id() + " line " + rule.line() + ": " + rule.text()));
        } else {
            assertTrue(denied, denied.contains("0 (default)"));
        }
        assertFalse("service records are not denials", denied.contains("SERVICE"));
        String byScid = execute("dsi:audit --scid 20 --node 2 --since 10m --limit 5 --no-format");
        assertTrue(byScid, byScid.contains("10@1"));
        assertFalse(execute("dsi:audit --scid 77 --no-format").contains("10@1"));

        // 2b. --follow prints records that arrive while it runs: the event is delivered only once the
        // command says it follows (it subscribes before printing that), not after a guessed delay
        ByteArrayOutputStream followBytes = new ByteArrayOutputStream();
        Throwable[] feederError = new Throwable[1];
        Thread feeder = new Thread(() -> {
            try {
                await("dsi:audit --follow following", () -> followBytes.toString(StandardCharsets.UTF_8).contains("Following"));
                deliver(deny(14, 24, ruleId, version, 5050));
            } catch (Throwable e) {
                feederError[0] = e;
            }
        });
        feeder.start();
        String followed = execute("dsi:audit --denied --scid 14 --follow --follow-for 10s --no-format", followBytes);
        feeder.join();
        if (feederError[0] != null) {
            throw new AssertionError("feeder: " + feederError[0], feederError[0]);
        }
        assertTrue(followed, followed.contains("Following"));
        assertTrue(followed, followed.indexOf("14@1") > followed.indexOf("Following"));

        // 3. enough denials of one flow raise ONE alarm (threshold made small, live)
        setDenialThreshold(3);
        int before = count(alarms(), "Repeated denials");
        for (int i = 0; i < 10; i++) {
            deliver(deny(11, 21, ruleId, version, 9090));
        }
        await("one repeated-denials alarm", () -> {
            try {
                return count(alarms(), "Repeated denials") == before + 1;
            } catch (Exception e) {
                return false;
            }
        });
        String a = alarms();
        assertTrue(a, a.contains("context 11 on node 1"));
        assertTrue(a, a.contains("context 21 on node 2"));
        assertTrue(a, a.contains("port 9090/tcp"));
        // deliberate pause: proves that no SECOND alarm follows within a second (absence cannot be awaited)
        Thread.sleep(1000);
        assertEquals("a flood gives one alarm per window", before + 1, count(alarms(), "Repeated denials"));

        // 4. a config change applies live: with a threshold of 6, five denials of a new flow raise nothing
        setDenialThreshold(6);
        for (int i = 0; i < 5; i++) {
            deliver(deny(12, 22, ruleId, version, 7070));
        }
        // deliberate pause: proves that five denials raise NO alarm within 1.5 s (absence cannot be awaited)
        Thread.sleep(1500);
        assertFalse(alarms(), alarms().contains("context 12 on node 1"));
        deliver(deny(12, 22, ruleId, version, 7070));
        await("alarm at the new threshold", () -> {
            try {
                return alarms().contains("context 12 on node 1");
            } catch (Exception e) {
                return false;
            }
        });

        // 5. stop the bundle: the service goes away, the command says so; start: it is back with its journal
        Bundle b = auditingBundle();
        b.stop();
        assertEquals(null, auditRef());
        String absent = executeFailing("dsi:audit");
        assertTrue(absent, absent.contains("auditing service is not running"));
        b.start();
        await("AuditService after restart", () -> {
            try {
                return auditRef() != null;
            } catch (Exception e) {
                return false;
            }
        });
        String again = execute("dsi:audit --denied --no-format");
        assertTrue("the journal survives a restart: " + again, again.contains("10@1") && again.contains("12@1"));
        String verify = execute("dsi:audit --verify");
        assertTrue(verify, verify.contains("intact"));
        assertTrue(deliver(deny(13, 23, ruleId, version, 6060)) >= 1);
        end = System.currentTimeMillis() + 10_000;
        String after = "";
        while (System.currentTimeMillis() < end && !after.contains("13@1")) {
            after = execute("dsi:audit --denied --no-format --limit 3");
            Thread.sleep(100);
        }
        assertTrue(after, after.contains("13@1"));

        // 7. the attack on the evidence: the journal's tail cut behind the running service. It notices
        //    (checkpoint.seconds), journals it, raises a HIGH alarm that reaches the SS (dsi:alarms),
        //    and dsi:audit --verify reports it.
        setConfig("checkpoint.seconds", "1");
        java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("karaf.data"), "dsi", "audit");
        java.nio.file.Path current;
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
            current = files.filter(f -> f.getFileName().toString().matches("audit-\\d{8}\\.jsonl")).sorted()
                    .reduce((older, newer) -> newer).orElseThrow();
        }
        List<String> lines = java.nio.file.Files.readAllLines(current, StandardCharsets.UTF_8);
        assertTrue(lines.toString(), lines.size() >= 4);
        java.nio.file.Files.write(current, lines.subList(0, lines.size() / 2), StandardCharsets.UTF_8);
        await("the cut journal raises an alarm", () -> alarms().contains("is not intact")
                && alarms().contains("was cut from"));
        String broken = executeFailing("dsi:audit --verify");
        assertTrue(broken, broken.contains("Audit journal BROKEN"));
    }
}
