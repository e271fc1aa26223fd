package org.opendsi.webview.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything below /dsi: the page's static files, the login and logout, the JSON API and the event
 * stream. Read-only: no request changes anything but the caller's own session.
 */
final class WebViewServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WebViewServlet.class);
    private static final int MAX_LOGIN_BODY = 4096;
    private static final Set<Integer> MINUTES = Set.of(1, 5, 15);

    /** Static files: path -> (resource, content type). */
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[] {"index.html", "text/html;charset=utf-8"},
            "/index.html", new String[] {"index.html", "text/html;charset=utf-8"},
            "/login", new String[] {"login.html", "text/html;charset=utf-8"},
            "/app.js", new String[] {"app.js", "text/javascript;charset=utf-8"},
            "/login.js", new String[] {"login.js", "text/javascript;charset=utf-8"},
            "/app.css", new String[] {"app.css", "text/css;charset=utf-8"});

    private final transient ViewData data;
    private final transient SessionStore sessions;
    private final transient AuthGate gate;
    private final transient LoginThrottle throttle;
    private final transient Authenticator authenticator;
    private final transient EventHub hub;
    private final transient Set<String> roles;
    private final transient Clock clock;
    private final long absoluteSeconds;
    private final long keepAliveMillis;

    WebViewServlet(ViewData data, SessionStore sessions, LoginThrottle throttle, Authenticator authenticator,
                   EventHub hub, Set<String> roles, Clock clock, Duration absolute, Duration keepAlive) {
        this.data = data;
        this.sessions = sessions;
        this.gate = new AuthGate(sessions);
        this.throttle = throttle;
        this.authenticator = authenticator;
        this.hub = hub;
        this.roles = Set.copyOf(roles);
        this.clock = clock;
        this.absoluteSeconds = absolute.toSeconds();
        this.keepAliveMillis = keepAlive.toMillis();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!gate.admit(req, resp)) {
            return;
        }
        String path = AuthGate.path(req);
        String method = req.getMethod();
        try {
            if (AuthGate.isApi(path)) {
                if (!"GET".equals(method)) {
                    AuthGate.error(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "read-only");
                    return;
                }
                api(path, req, resp);
            } else if ("/login".equals(path) && "POST".equals(method)) {
                login(req, resp);
            } else if ("/logout".equals(path) && "POST".equals(method)) {
                logout(req, resp);
            } else if ("GET".equals(method) && FILES.containsKey(path)) {
                file(FILES.get(path), resp);
            } else {
                AuthGate.error(resp, HttpServletResponse.SC_NOT_FOUND, "not found");
            }
        } catch (RuntimeException e) {
            LOG.warn("web view: {} {} failed", method, path, e);
            if (!resp.isCommitted()) {
                AuthGate.error(resp, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "internal error");
            }
        }
    }

    // ------------------------------------------------------------------ API

    private void api(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        switch (path) {
            case "/api/overview" -> AuthGate.json(resp, 200, data.overview());
            case "/api/graph" -> AuthGate.json(resp, 200, data.graph());
            case "/api/denials" -> {
                int minutes = intParam(req, "minutes", 5);
                if (!MINUTES.contains(minutes)) {
                    AuthGate.error(resp, 400, "minutes must be 1, 5 or 15");
                    return;
                }
                AuthGate.json(resp, 200, data.denials(minutes, clock.instant()));
            }
            case "/api/diff" -> diff(req, resp);
            case "/api/session" -> {
                SessionStore.Session s = gate.session(req).orElseThrow();
                Json j = new Json().beginObject().field("user", s.user()).name("roles").beginArray();
                s.roles().stream().sorted().forEach(j::value);
                AuthGate.json(resp, 200, j.endArray().endObject().toString());
            }
            case "/api/events" -> events(req, resp);
            default -> AuthGate.error(resp, HttpServletResponse.SC_NOT_FOUND, "no such endpoint");
        }
    }

    private void diff(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long to;
        Long from;
        try {
            to = Long.parseLong(req.getParameter("to"));
            String f = req.getParameter("from");
            from = f == null || f.isBlank() ? data.previousVersion(to).orElse(null) : Long.valueOf(f);
        } catch (NumberFormatException e) {
            AuthGate.error(resp, 400, "to (and optional from) must be version numbers");
            return;
        }
        if (from == null) {
            AuthGate.error(resp, 404, "no version before " + to + " is kept");
            return;
        }
        try {
            AuthGate.json(resp, 200, data.diff(from, to));
        } catch (ViewData.NotFoundException e) {
            AuthGate.error(resp, 404, e.getMessage());
        }
    }

    /** The event stream: runs on the request's thread until logout, deactivation or a broken connection. */
    private void events(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String token = AuthGate.token(req);
        SessionStore.Session session = sessions.peek(token).orElse(null);
        if (session == null) {
            AuthGate.error(resp, 401, "login required");
            return;
        }
        EventHub.Client client = hub.open(session.key(), data.overview());
        if (client == null) {
            AuthGate.error(resp, 503, "too many event streams open");
            return;
        }
        try {
            resp.setStatus(200);
            resp.setContentType("text/event-stream;charset=utf-8");
            resp.setHeader("Cache-Control", "no-store");
            resp.setHeader("X-Accel-Buffering", "no");
            OutputStream out = resp.getOutputStream();
            write(out, "retry: 3000\n\n");
            resp.flushBuffer();
            long lastWrite = System.nanoTime();
            while (true) {
                EventHub.Event e = client.queue.poll(1, TimeUnit.SECONDS);
                if (e == EventHub.Event.CLOSE || sessions.peek(token).isEmpty()) {
                    break;
                }
                if (e != null) {
                    write(out, e.wire());
                } else if (System.nanoTime() - lastWrite >= TimeUnit.MILLISECONDS.toNanos(keepAliveMillis)) {
                    write(out, ": keepalive\n\n");
                } else {
                    continue;
                }
                resp.flushBuffer();
                lastWrite = System.nanoTime();
            }
        } catch (IOException e) {
            LOG.debug("web view: event stream closed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.remove(client);
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ login / logout

    private void login(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        boolean form = !accepts(req, "application/json");
        String address = req.getRemoteAddr();
        resp.setHeader("Cache-Control", "no-store");
        Duration wait = throttle.retryAfter(address);
        if (!wait.isZero()) {
            resp.setHeader("Retry-After", Long.toString(Math.max(1, wait.toSeconds())));
            LOG.warn("web view: login from {} refused, too many failures (retry in {} s)", address, wait.toSeconds());
            refuse(resp, form, 429, "too many failed logins; retry in " + Math.max(1, wait.toSeconds()) + " s", "throttled");
            return;
        }
        if (req.getContentLength() > MAX_LOGIN_BODY) {
            refuse(resp, form, 413, "request too large", "failed");
            return;
        }
        String user = req.getParameter("username");
        String password = req.getParameter("password");
        if (user == null || password == null || user.isBlank() || user.length() > 128 || password.length() > 1024) {
            refuse(resp, form, 400, "username and password are required", "failed");
            return;
        }
        char[] pw = password.toCharArray();
        Optional<Set<String>> granted;
        try {
            granted = authenticator.login(user, pw);
        } finally {
            Arrays.fill(pw, '\0');
        }
        if (granted.isEmpty()) {
            Duration delay = throttle.failed(address);
            LOG.warn("web view: failed login for user '{}' from {}{}", printable(user), address,
                    delay.isZero() ? "" : "; further attempts refused for " + delay.toSeconds() + " s");
            refuse(resp, form, 401, "wrong user name or password", "failed");
            return;
        }
        throttle.succeeded(address);
        if (granted.get().stream().noneMatch(roles::contains)) {
            LOG.warn("web view: user '{}' from {} has none of the roles {}", printable(user), address, roles);
            refuse(resp, form, 403, "user has none of the roles " + roles, "forbidden");
            return;
        }
        String token = sessions.create(user, granted.get());
        resp.addHeader("Set-Cookie", AuthGate.cookie(token, absoluteSeconds, req.isSecure()));
        LOG.info("web view: user '{}' logged in from {}", printable(user), address);
        if (form) {
            redirect(resp, req.getContextPath() + "/");
        } else {
            AuthGate.json(resp, 200, new Json().beginObject().field("user", user).endObject().toString());
        }
    }

    private void logout(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String token = AuthGate.token(req);
        sessions.peek(token).ifPresent(s -> hub.closeSession(s.key()));
        sessions.invalidate(token);
        resp.addHeader("Set-Cookie", AuthGate.cookie("", 0, req.isSecure()));
        if (accepts(req, "application/json")) {
            AuthGate.json(resp, 200, "{\"loggedOut\":true}");
        } else {
            redirect(resp, req.getContextPath() + "/login");
        }
    }

    private static void refuse(HttpServletResponse resp, boolean form, int status, String message, String code)
            throws IOException {
        if (form) {
            redirect(resp, "login?error=" + code);
        } else {
            AuthGate.error(resp, status, message);
        }
    }

    private static void redirect(HttpServletResponse resp, String location) {
        resp.setStatus(303);
        resp.setHeader("Location", location);
    }

    private static boolean accepts(HttpServletRequest req, String type) {
        String a = req.getHeader("Accept");
        return a != null && a.contains(type);
    }

    /** A user name as logged: printable ASCII only, bounded. */
    private static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static int intParam(HttpServletRequest req, String name, int def) {
        String v = req.getParameter(name);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------ static files

    private static void file(String[] f, HttpServletResponse resp) throws IOException {
        try (InputStream in = WebViewServlet.class.getResourceAsStream("/webview/" + f[0])) {
            if (in == null) {
                AuthGate.error(resp, 404, "not found");
                return;
            }
            byte[] bytes = in.readAllBytes();
            resp.setStatus(200);
            resp.setContentType(f[1]);
            resp.setHeader("Cache-Control", "no-cache");
            resp.setContentLength(bytes.length);
            resp.getOutputStream().write(bytes);
        }
    }
}
