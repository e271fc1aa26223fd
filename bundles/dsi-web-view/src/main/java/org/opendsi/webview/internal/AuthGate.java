package org.opendsi.webview.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * Who may see what: the session cookie, the security headers every answer carries, and the rule that
 * everything under {@code /api/} needs a live session (401 JSON otherwise). Used by the servlet
 * context's handleSecurity and again by the servlet itself.
 */
final class AuthGate {

    static final String COOKIE = "dsi_view_session";
    static final String COOKIE_PATH = "/dsi";
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final SessionStore sessions;

    AuthGate(SessionStore sessions) {
        this.sessions = sessions;
    }

    /** The path below the view's context: "/", "/api/overview", ... */
    static String path(HttpServletRequest req) {
        String uri = req.getRequestURI();
        String ctx = req.getContextPath() == null ? "" : req.getContextPath();
        String p = uri != null && uri.startsWith(ctx) ? uri.substring(ctx.length()) : uri;
        return p == null || p.isEmpty() ? "/" : p;
    }

    static boolean isApi(String path) {
        return path.equals("/api") || path.startsWith("/api/");
    }

    static void securityHeaders(HttpServletResponse resp) {
        resp.setHeader("Content-Security-Policy", CSP);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
    }

    static String token(HttpServletRequest req) {
        Cookie[] cookies = req.getCookies();
        if (cookies == null) {
            return null;
        }
        for (Cookie c : cookies) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    Optional<SessionStore.Session> session(HttpServletRequest req) {
        return sessions.touch(token(req));
    }

    /**
     * Sets the headers and, for an API path without a live session, answers 401; true when the request
     * may go on.
     */
    boolean admit(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        securityHeaders(resp);
        String path = path(req);
        if (!isApi(path)) {
            return true;
        }
        resp.setHeader("Cache-Control", "no-store");
        if (session(req).isPresent()) {
            return true;
        }
        error(resp, HttpServletResponse.SC_UNAUTHORIZED, "login required");
        return false;
    }

    static void error(HttpServletResponse resp, int status, String message) throws IOException {
        json(resp, status, new Json().beginObject().field("error", message).endObject().toString());
    }

    static void json(HttpServletResponse resp, int status, String body) throws IOException {
        resp.setStatus(status);
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentType("application/json;charset=utf-8");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** The Set-Cookie value of a new session (or, with an empty token, of its removal). */
    static String cookie(String token, long maxAgeSeconds, boolean secure) {
        return COOKIE + "=" + token + "; Path=" + COOKIE_PATH + "; Max-Age=" + maxAgeSeconds
                + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }
}
