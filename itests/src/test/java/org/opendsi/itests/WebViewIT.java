package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * The opt-in feature dsi-web-view installs from the distribution's system/ folder and serves the live
 * view at /dsi/ on the Security Server (this node is role embedded): the API refuses requests without
 * a session, a wrong password gets no session, the administrator created at first start logs in with
 * the password kept in etc/dsi/console/admin.password, the overview carries the SS's policy version
 * and the event stream opens with a first event.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebViewIT extends DsiTestSupport {

    /** The HTTP port DsiTestSupport gave this Karaf (etc/org.ops4j.pax.web.cfg, read inside the container). */
    private static int httpPort() throws Exception {
        java.util.Properties p = new java.util.Properties();
        try (InputStream in = new java.io.FileInputStream(new java.io.File(System.getProperty("karaf.etc"),
                "org.ops4j.pax.web.cfg"))) {
            p.load(in);
        }
        return Integer.parseInt(p.getProperty("org.osgi.service.http.port").trim());
    }

    /** Status, Set-Cookie and body of a request. */
    private static final class Answer {
        int status;
        String cookie;
        String body;
    }

    private static Answer request(String method, String url, String cookie, String form) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(10000);
        c.setInstanceFollowRedirects(false);
        c.setRequestMethod(method);
        c.setRequestProperty("Accept", "application/json");
        if (cookie != null) {
            c.setRequestProperty("Cookie", cookie);
        }
        if (form != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
            try (OutputStream out = c.getOutputStream()) {
                out.write(form.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            Answer a = new Answer();
            a.status = c.getResponseCode();
            a.cookie = c.getHeaderField("Set-Cookie");
            InputStream in = a.status < 400 ? c.getInputStream() : c.getErrorStream();
            a.body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return a;
        } finally {
            c.disconnect();
        }
    }

    private static String form(String user, String password) {
        return "username=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&password="
                + URLEncoder.encode(password, StandardCharsets.UTF_8);
    }

    @Test
    public void loginOverviewAndEventStream() throws Exception {
        execute("feature:install dsi-web-view");
        Bundle b = bundle("dsi-web-view");
        await("dsi-web-view active", () -> b.getState() == Bundle.ACTIVE);
        String base = "http://127.0.0.1:" + httpPort() + "/dsi";

        // the page is served; the API is not, without a session
        await("the view's page at " + base + "/", () -> request("GET", base + "/", null, null).status == 200);
        Answer page = request("GET", base + "/", null, null);
        assertTrue(page.body, page.body.contains("id=\"graph\""));
        Answer anonymous = request("GET", base + "/api/overview", null, null);
        assertEquals(401, anonymous.status);
        assertTrue(anonymous.body, anonymous.body.contains("login required"));
        assertEquals(401, request("GET", base + "/api/events", null, null).status);
        assertEquals(401, request("GET", base + "/api/overview", "dsi_view_session=" + "A".repeat(43), null).status);

        // a wrong password gets no session
        Answer wrong = request("POST", base + "/login", null, form("admin", "not-the-password"));
        assertEquals(401, wrong.status);
        assertNull(wrong.cookie);

        // the administrator created at first start
        File pwFile = new File(System.getProperty("karaf.etc"), "dsi/console/admin.password");
        await("the generated administrator password", pwFile::isFile);
        String password = Files.readString(pwFile.toPath()).trim();
        Answer ok = request("POST", base + "/login", null, form("admin", password));
        assertEquals(ok.body, 200, ok.status);
        assertNotNull(ok.cookie);
        assertTrue(ok.cookie, ok.cookie.contains("HttpOnly") && ok.cookie.contains("SameSite=Strict")
                && ok.cookie.contains("Path=/dsi"));
        String cookie = ok.cookie.substring(0, ok.cookie.indexOf(';'));

        // the overview with the Security Server's policy version (what dsi:status shows)
        Answer overview = request("GET", base + "/api/overview", cookie, null);
        assertEquals(overview.body, 200, overview.status);
        Matcher m = Pattern.compile("\"policyVersion\":(\\d+)").matcher(overview.body);
        assertTrue(overview.body, m.find());
        long version = Long.parseLong(m.group(1));
        assertTrue(overview.body, overview.body.contains("\"history\":["));
        assertEquals(200, request("GET", base + "/api/graph", cookie, null).status);
        assertEquals(200, request("GET", base + "/api/denials?minutes=5", cookie, null).status);

        // the event stream opens with the overview
        HttpURLConnection sse = (HttpURLConnection) new URL(base + "/api/events").openConnection();
        sse.setConnectTimeout(2000);
        sse.setReadTimeout(10000);
        sse.setRequestProperty("Cookie", cookie);
        sse.setRequestProperty("Accept", "text/event-stream");
        try {
            assertEquals(200, sse.getResponseCode());
            assertTrue(sse.getContentType(), sse.getContentType().startsWith("text/event-stream"));
            BufferedReader r = new BufferedReader(new InputStreamReader(sse.getInputStream(), StandardCharsets.UTF_8));
            String event = null;
            String data = null;
            for (String line; (line = r.readLine()) != null;) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ") && event != null) {
                    data = line.substring(6);
                    break;
                }
            }
            assertEquals("overview", event);
            assertTrue(data, data.contains("\"policyVersion\":" + version));
        } finally {
            sse.disconnect();
        }

        // logout ends the session
        assertEquals(200, request("POST", base + "/logout", cookie, "").status);
        assertEquals(401, request("GET", base + "/api/overview", cookie, null).status);
    }
}
