package org.opendsi.webview.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The servlet and the gate as a browser meets them: login, cookie, 401s, the API and the event stream. */
class WebViewServletTest {

    private final SessionStoreTest.TestClock clock = new SessionStoreTest.TestClock();
    private Fakes.FakeSecurityServer ss;
    private SessionStore sessions;
    private EventHub hub;
    private WebViewServlet servlet;
    private AutoCloseable feed;

    /** admin/secret has the admin role, bob/pw only "ssh". */
    private static final Authenticator USERS = (user, pw) -> {
        String p = new String(pw);
        if (user.equals("admin") && p.equals("secret")) {
            return Optional.of(Set.of("admin", "viewer", "ssh"));
        }
        if (user.equals("bob") && p.equals("pw")) {
            return Optional.of(Set.of("ssh"));
        }
        return Optional.empty();
    };

    @BeforeEach
    void start() throws Exception {
        ss = ViewDataTest.cluster();
        ViewData data = new ViewData(ss.proxy(), new Fakes.FakePolicyService("boot.xml", "virtual-zones-zoned.xml"));
        sessions = new SessionStore(clock, Duration.ofMinutes(30), Duration.ofHours(8), 16);
        hub = new EventHub(2, data::overview, data::denialBatch);
        hub.start();
        feed = ss.proxy().followDenials(hub::denials);
        servlet = new WebViewServlet(data, sessions, new LoginThrottle(clock, Duration.ofSeconds(30), Duration.ofHours(1), 100),
                USERS, hub, Set.of("viewer", "admin"), clock, Duration.ofHours(8), Duration.ofMillis(300));
    }

    @AfterEach
    void stop() throws Exception {
        feed.close();
        hub.close();
    }

    private FakeHttp.Response call(javax.servlet.http.HttpServletRequest req) throws Exception {
        FakeHttp.Response r = new FakeHttp.Response();
        servlet.service(req, r.proxy);
        return r;
    }

    private FakeHttp.Response login(String user, String password) throws Exception {
        return call(FakeHttp.request("POST", "/login", null, Fakes.form(user, password), Map.of("Accept", "application/json")));
    }

    private String token(FakeHttp.Response login) {
        String c = login.header("Set-Cookie");
        return c.substring(c.indexOf('=') + 1, c.indexOf(';'));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/overview", "/api/events", "/api/graph", "/api/denials", "/api/diff?to=2"})
    void apiWithoutAValidSessionIs401(String path) throws Exception {
        String p = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        for (String cookie : new String[] {null, "", "forged", "A".repeat(43)}) {
            FakeHttp.Response r = call(FakeHttp.get(p, cookie));
            assertEquals(401, r.status, p + " with cookie " + cookie);
            assertEquals("login required", ViewDataTest.JSON.readTree(r.body()).at("/error").asText());
            assertEquals("no-store", r.header("Cache-Control"));
        }
        // an expired session too
        String t = token(login("admin", "secret"));
        clock.advance(Duration.ofMinutes(31));
        assertEquals(401, call(FakeHttp.get(p, t)).status);
        // and the servlet context's handleSecurity alone refuses it as well
        FakeHttp.Response r = new FakeHttp.Response();
        assertFalse(new AuthGate(sessions).admit(FakeHttp.get(p, t), r.proxy));
        assertEquals(401, r.status);
    }

    @Test
    void loginSetsAStrictHttpOnlyCookieThatOpensTheApi() throws Exception {
        FakeHttp.Response login = login("admin", "secret");
        assertEquals(200, login.status);
        String cookie = login.header("Set-Cookie");
        assertTrue(cookie.startsWith(AuthGate.COOKIE + "="), cookie);
        assertTrue(cookie.contains("; Path=/dsi;") && cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict"),
                cookie);
        String t = token(login);
        assertEquals(43, t.length());

        FakeHttp.Response o = call(FakeHttp.get("/api/overview", t));
        assertEquals(200, o.status);
        JsonNode j = ViewDataTest.JSON.readTree(o.body());
        assertEquals(2, j.at("/server/policyVersion").asLong());
        assertEquals("colby", j.at("/nodes/0/name").asText());
        assertEquals("application/json;charset=utf-8", o.contentType);
        assertEquals("no-store", o.header("Cache-Control"));
        assertEquals(AuthGate.CSP, o.header("Content-Security-Policy"));
        assertEquals("nosniff", o.header("X-Content-Type-Options"));
        assertEquals("DENY", o.header("X-Frame-Options"));

        FakeHttp.Response denials = call(FakeHttp.request("GET", "/api/denials", t, Map.of("minutes", "15"), Map.of()));
        assertEquals(7, ViewDataTest.JSON.readTree(denials.body()).at("/flows/0/count").asInt());
        assertEquals(400, call(FakeHttp.request("GET", "/api/denials", t, Map.of("minutes", "60"), Map.of())).status);
        FakeHttp.Response diff = call(FakeHttp.request("GET", "/api/diff", t, Map.of("to", "2"), Map.of()));
        assertEquals(1, ViewDataTest.JSON.readTree(diff.body()).at("/from").asInt());
        assertEquals(404, call(FakeHttp.request("GET", "/api/diff", t, Map.of("to", "1"), Map.of())).status);
        assertEquals(405, call(FakeHttp.request("POST", "/api/overview", t, Map.of(), Map.of())).status);
    }

    @Test
    void theFormWorksWithoutScriptThroughRedirects() throws Exception {
        FakeHttp.Response ok = call(FakeHttp.request("POST", "/login", null, Fakes.form("admin", "secret"), Map.of()));
        assertEquals(303, ok.status);
        assertEquals("/dsi/", ok.header("Location"));
        FakeHttp.Response bad = call(FakeHttp.request("POST", "/login", null, Fakes.form("admin", "nope"), Map.of()));
        assertEquals(303, bad.status);
        assertEquals("login?error=failed", bad.header("Location"));
        assertNull(bad.header("Set-Cookie"));
    }

    @Test
    void wrongPasswordsAreRefusedThenThrottled() throws Exception {
        for (int i = 0; i < 5; i++) {
            FakeHttp.Response r = login("admin", "guess" + i);
            assertEquals(401, r.status);
            assertNull(r.header("Set-Cookie"));
        }
        FakeHttp.Response blocked = login("admin", "secret");
        assertEquals(429, blocked.status, "even the right password waits");
        assertEquals("30", blocked.header("Retry-After"));
        clock.advance(Duration.ofSeconds(31));
        assertEquals(200, login("admin", "secret").status);
    }

    @Test
    void aUserWithoutViewerOrAdminRoleIsRefused() throws Exception {
        FakeHttp.Response r = login("bob", "pw");
        assertEquals(403, r.status);
        assertNull(r.header("Set-Cookie"));
    }

    @Test
    void logoutEndsTheSession() throws Exception {
        String t = token(login("admin", "secret"));
        FakeHttp.Response out = call(FakeHttp.request("POST", "/logout", t, Map.of(), Map.of("Accept", "application/json")));
        assertEquals(200, out.status);
        assertTrue(out.header("Set-Cookie").contains("Max-Age=0"));
        assertEquals(401, call(FakeHttp.get("/api/overview", t)).status);
    }

    @Test
    void staticPageIsPublicAndUsesNoInlineScript() throws Exception {
        FakeHttp.Response page = call(FakeHttp.get("/", null));
        assertEquals(200, page.status);
        assertTrue(page.body().contains("<script src=\"app.js\" defer></script>"));
        assertFalse(page.body().matches("(?s).*<script>.*"), "no inline script");
        assertEquals(AuthGate.CSP, page.header("Content-Security-Policy"));
        assertTrue(call(FakeHttp.get("/login", null)).body().contains("id=\"login-password\""));
        assertEquals(404, call(FakeHttp.get("/../etc/passwd", null)).status);
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void eventStreamSendsOverviewThenDenialBatchesAndEndsAtLogout() throws Exception {
        String t = token(login("admin", "secret"));
        FakeHttp.Response stream = new FakeHttp.Response();
        Thread th = new Thread(() -> {
            try {
                servlet.service(FakeHttp.get("/api/events", t), stream.proxy);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        th.start();
        await("first event", () -> stream.body().contains("event: overview\ndata: {\"server\""));
        assertEquals("text/event-stream;charset=utf-8", stream.contentType);
        assertEquals(1, hub.clients());

        // a burst of denial batches arrives as one event, counts merged per flow
        for (int i = 0; i < 4; i++) {
            for (var l : ss.followers) {
                l.accept(List.of(ViewDataTest.flow(2, 10, 1, 20, 2, "deny 10->20 all", 1, "burst " + i)));
            }
        }
        await("denial event", () -> stream.body().contains("event: denials"));
        String body = stream.body();
        String data = body.substring(body.indexOf("event: denials\ndata: ") + "event: denials\ndata: ".length());
        data = data.substring(0, data.indexOf('\n'));
        JsonNode batch = ViewDataTest.JSON.readTree(data);
        assertEquals(4, batch.at("/flows/0/count").asInt());
        assertEquals("10@1", batch.at("/flows/0/src").asText());
        assertEquals("burst 3", batch.at("/flows/0/latest/2/text").asText());

        // a change on the Security Server is pushed without asking
        ss.policyVersion = 3;
        await("overview with version 3", () -> stream.body().contains("\"policyVersion\":3"));
        await("keepalive comment", () -> stream.body().contains(": keepalive\n\n"));

        // more streams than allowed: refused
        FakeHttp.Response second = new FakeHttp.Response();
        Thread th2 = new Thread(() -> {
            try {
                servlet.service(FakeHttp.get("/api/events", t), second.proxy);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        th2.start();
        await("second stream", () -> hub.clients() == 2);
        FakeHttp.Response third = call(FakeHttp.get("/api/events", t));
        assertEquals(503, third.status);

        call(FakeHttp.request("POST", "/logout", t, Map.of(), Map.of("Accept", "application/json")));
        th.join(3000);
        th2.join(3000);
        assertFalse(th.isAlive(), "stream ended at logout");
        assertFalse(th2.isAlive());
        assertEquals(0, hub.clients());
    }

    @Test
    void deactivationClosesStreams() throws Exception {
        String t = token(login("admin", "secret"));
        FakeHttp.Response stream = new FakeHttp.Response();
        Thread th = new Thread(() -> {
            try {
                servlet.service(FakeHttp.get("/api/events", t), stream.proxy);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        th.start();
        await("first event", () -> stream.body().contains("event: overview"));
        hub.close();
        th.join(3000);
        assertFalse(th.isAlive());
    }
}
