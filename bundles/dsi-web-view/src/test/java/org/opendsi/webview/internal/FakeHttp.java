package org.opendsi.webview.internal;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.servlet.ServletOutputStream;
import javax.servlet.WriteListener;
import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/** Minimal request and response doubles (dynamic proxies) for the servlet and the gate. */
final class FakeHttp {

    private FakeHttp() {
    }

    static HttpServletRequest request(String method, String path, String cookie, Map<String, String> params,
                                      Map<String, String> headers) {
        return (HttpServletRequest) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getRequestURI" -> "/dsi" + path;
                    case "getContextPath" -> "/dsi";
                    case "getCookies" -> cookie == null ? null : new Cookie[] {new Cookie(AuthGate.COOKIE, cookie)};
                    case "getParameter" -> params.get((String) args[0]);
                    case "getHeader" -> headers.get((String) args[0]);
                    case "getRemoteAddr" -> "192.0.2.7";
                    case "isSecure" -> false;
                    case "getContentLength" -> -1;
                    case "toString" -> method + " " + path;
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    static HttpServletRequest get(String path, String cookie) {
        return request("GET", path, cookie, Map.of(), Map.of());
    }

    /** A response that records status, headers and body. */
    static final class Response {
        int status = 200;
        final Map<String, List<String>> headers = new HashMap<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        String contentType;
        volatile boolean closed;

        final HttpServletResponse proxy = (HttpServletResponse) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                    switch (m.getName()) {
                        case "setStatus" -> status = (Integer) args[0];
                        case "setHeader" -> headers.put((String) args[0], new ArrayList<>(List.of((String) args[1])));
                        case "addHeader" -> headers.computeIfAbsent((String) args[0], k -> new ArrayList<>()).add((String) args[1]);
                        case "setContentType" -> contentType = (String) args[0];
                        case "setContentLength", "flushBuffer" -> {
                            if (closed) {
                                throw new java.io.IOException("closed by the client");
                            }
                        }
                        case "isCommitted" -> {
                            return false;
                        }
                        case "getOutputStream" -> {
                            return out();
                        }
                        case "hashCode" -> {
                            return System.identityHashCode(p);
                        }
                        case "equals" -> {
                            return p == args[0];
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    }
                    return null;
                });

        private ServletOutputStream out() {
            return new ServletOutputStream() {
                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener l) {
                }

                @Override
                public void write(int b) throws java.io.IOException {
                    if (closed) {
                        throw new java.io.IOException("closed by the client");
                    }
                    synchronized (body) {
                        body.write(b);
                    }
                }
            };
        }

        String body() {
            synchronized (body) {
                return body.toString(StandardCharsets.UTF_8);
            }
        }

        String header(String name) {
            List<String> v = headers.get(name);
            return v == null ? null : v.get(0);
        }
    }
}
