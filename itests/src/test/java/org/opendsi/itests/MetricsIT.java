package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * Feature dsi-metrics (which every node installs right after its boot; these tests install it themselves)
 * comes from the distribution's system/ folder; it starts Pax Web on
 * the loopback port of etc/org.ops4j.pax.web.cfg and answers GET /metrics in the Prometheus text
 * format with the DSM's and the Security Server's figures (the DSM is disabled in these tests:
 * audit-only, no counters).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MetricsIT extends DsiTestSupport {

    private static Properties paxWebCfg() throws Exception {
        Properties p = new Properties();
        try (InputStream in = new FileInputStream(new File(System.getProperty("karaf.etc"), "org.ops4j.pax.web.cfg"))) {
            p.load(in);
        }
        return p;
    }

    private static String get(String url, String[] contentType) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        try {
            if (c.getResponseCode() != 200) {
                throw new AssertionError(url + " answered " + c.getResponseCode());
            }
            contentType[0] = c.getContentType();
            try (InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            c.disconnect();
        }
    }

    @Test
    public void metricsOverHttp() throws Exception {
        Properties cfg = paxWebCfg();
        assertEquals("127.0.0.1", cfg.getProperty("org.ops4j.pax.web.listening.addresses").trim());
        String port = cfg.getProperty("org.osgi.service.http.port").trim();

        // a node installs dsi-metrics right after its boot; DsiTestSupport turns that off (metrics = false)
        // so that it does not race with the test probe: installed here, on the port DsiTestSupport chose
        execute("feature:install dsi-metrics");
        await("dsi-metrics active", () -> java.util.Arrays.stream(bundleContext.getBundles())
                .anyMatch(b -> "dsi-metrics".equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE));

        String url = "http://127.0.0.1:" + port + "/metrics";
        String[] type = new String[1];
        String[] text = new String[1];
        await("GET " + url + " with the DSM's and the Security Server's metrics", () -> {
            text[0] = get(url, type);
            return text[0].contains("dsi_dsm_available") && text[0].contains("dsi_ss_policy_version");
        });
        String t = text[0];
        assertTrue(type[0], type[0].startsWith("text/plain") && type[0].contains("version=0.0.4"));
        assertTrue(t, t.contains("# TYPE dsi_dsm_available gauge"));
        assertTrue(t, t.contains("dsi_dsm_available{snid=\"1\"} 0.0"));   // disabled in tests: audit-only
        assertTrue(t, t.contains("dsi_dsm_policy_version{snid=\"1\"} "));
        assertTrue(t, t.contains("dsi_ss_nodes{state=\"connected\"} "));
        assertTrue(t, t.contains("dsi_ss_open_alarms{priority=\"critical\"} "));
        assertTrue(t, t.contains("# TYPE dsi_ss_joins_total counter"));
        assertTrue(t, t.contains("dsi_ss_compromises_total 0.0"));
        assertTrue(t, t.contains("dsi_scc_connections 0.0"));
        assertTrue(t, t.contains("# TYPE dsi_ss_policy_propagation_seconds histogram"));
        assertTrue(t, t.contains("dsi_audit_journal_intact 1.0"));
        assertTrue(t, t.contains("# TYPE dsi_audit_journal_records gauge"));
    }
}
