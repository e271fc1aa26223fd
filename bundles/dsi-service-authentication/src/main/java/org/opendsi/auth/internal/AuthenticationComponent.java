package org.opendsi.auth.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.opendsi.api.auth.AuthenticationException;
import org.opendsi.api.auth.AuthenticationService;
import org.opendsi.api.auth.ProcessCertificate;
import org.opendsi.dsm.Dsm;
import org.opendsi.keys.KeyManagementService;
import org.opendsi.keys.NodeKeys;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication security service (configuration PID {@code org.opendsi.auth}):
 * <ul>
 * <li>{@code socket.path} (default {@code ${karaf.data}/dsi/auth.sock}), {@code socket.group}
 * (default: Karaf's own group): the socket is {@code rw-rw----}, so only members of that group (and
 * root) may ask; who asks, and in which context it was when it connected, comes from the kernel;</li>
 * <li>{@code ttl.minutes} (60), {@code rate.per.minute} (10 requests per pid), {@code max.request.bytes}
 * (16384), {@code read.timeout.ms} (5000), {@code threads} (2).</li>
 * </ul>
 * Needs key management for the node CA; without it (stopped, being replaced) the service keeps its socket
 * and refuses requests with that reason.
 * Registers {@link AuthenticationService} itself, with {@code dsi.service.type=authentication} and
 * {@code dsi.service.version} = this bundle's version.
 */
@Component(service = {}, configurationPid = AuthenticationComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true)
public class AuthenticationComponent implements AuthenticationService {

    public static final String PID = "org.opendsi.auth";
    private static final Logger LOG = LoggerFactory.getLogger(AuthenticationComponent.class);

    /**
     * Dynamic: while key management is away the service stays registered and listening (dsi:services
     * shows it DEGRADED) and refuses each request with that reason, instead of vanishing with its socket.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile KeyManagementService keyManagement;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Dsm dsm;

    private Authenticator authenticator;
    private UnixSocketServer server;
    private ServiceRegistration<AuthenticationService> registration;

    @Activate
    void activate(BundleContext ctx, Map<String, Object> props) {
        String dataDir = System.getProperty("karaf.data", "data");
        Path socket = Paths.get(str(props, "socket.path", dataDir + "/dsi/auth.sock").replace("${karaf.data}", dataDir));
        String group = str(props, "socket.group", "");
        if (props.get("socket.mode") != null) {
            LOG.warn("{}: socket.mode is no longer read: the socket is {} and socket.group names who may use it", PID,
                    UnixSocketServer.MODE);
        }
        Duration ttl = Duration.ofMinutes(num(props, "ttl.minutes", 60));
        int rate = (int) num(props, "rate.per.minute", 10);
        int maxRequest = (int) num(props, "max.request.bytes", 16384);
        Duration readTimeout = Duration.ofMillis(num(props, "read.timeout.ms", 5000));
        int threads = (int) num(props, "threads", 2);
        authenticator = new Authenticator(this::nodeKeys, this::contextOf, ttl,
                new RateLimiter(rate, TimeUnit.MINUTES.toNanos(1), System::nanoTime));
        try {
            server = new UnixSocketServer(socket, group, maxRequest, readTimeout, threads, authenticator,
                    new DsmConnectRecords(() -> dsm));
            LOG.info("Authentication service listening on {} ({} group {}; certificates for {} min)", socket,
                    UnixSocketServer.MODE, group.isEmpty() ? "of this process" : group, ttl.toMinutes());
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.error("Authentication service: cannot listen on {}: {}", socket, e.toString());
            server = null;
        }
        Hashtable<String, Object> sp = new Hashtable<>();
        sp.put("dsi.service.type", SERVICE_TYPE);
        sp.put("dsi.service.version", ctx.getBundle().getVersion().toString());
        sp.put("dsi.auth.socket", server == null ? "" : server.path().toString());
        registration = ctx.registerService(AuthenticationService.class, this, sp);
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
            registration = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    private NodeKeys nodeKeys() {
        KeyManagementService k = keyManagement;
        if (k == null) {
            throw new AuthenticationException("key management is not available on this node"
                    + " (the key-management service is stopped or not installed; see dsi:services)");
        }
        return k.nodeKeys();
    }

    private int contextOf(int pid) {
        Dsm d = dsm;
        if (d == null) {
            throw new AuthenticationException("the DSM service is not registered");
        }
        return d.contextOf(pid);
    }

    @Override
    public ProcessCertificate issueFor(int pid, PublicKey key) {
        return authenticator.issueFor(pid, key);
    }

    @Override
    public ProcessCertificate issueFor(int pid, byte[] csrDer) {
        return authenticator.issueFor(pid, csrDer);
    }

    @Override
    public String socketPath() {
        UnixSocketServer s = server;
        return s == null ? "" : s.path().toString();
    }

    private static String str(Map<String, Object> p, String k, String def) {
        Object v = p.get(k);
        return v == null || v.toString().isBlank() ? def : v.toString().trim();
    }

    private static long num(Map<String, Object> p, String k, long def) {
        String v = str(p, k, null);
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PID + ": " + k + " = '" + v + "' is not a positive number");
        }
    }
}
