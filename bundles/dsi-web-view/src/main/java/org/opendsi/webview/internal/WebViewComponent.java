package org.opendsi.webview.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.Set;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.opendsi.api.policy.PolicyService;
import org.opendsi.ss.SecurityServer;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.context.ServletContextHelper;
import org.osgi.service.http.whiteboard.HttpWhiteboardConstants;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web view at /dsi/ (configuration PID {@value #PID}). Active only where a Security Server runs
 * (mandatory reference), so a node with the Security Manager alone serves nothing. Registers with the
 * OSGi HTTP whiteboard a servlet context {@code dsi-web-view} at /dsi whose handleSecurity refuses
 * every /api/ request without a session, and the view's servlet in it; follows the Security Server's
 * denial feed for the event streams. Deactivation ends every session and stream.
 */
@Component(immediate = true, configurationPid = WebViewComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = WebViewComponent.Config.class)
public class WebViewComponent {

    public static final String PID = "org.opendsi.webview";
    static final String CONTEXT_NAME = "dsi-web-view";
    static final String CONTEXT_PATH = "/dsi";

    private static final Logger LOG = LoggerFactory.getLogger(WebViewComponent.class);

    @ObjectClassDefinition(name = "DSI web view", description = "Live read-only view on the Security Server at /dsi/")
    public @interface Config {
        @AttributeDefinition(description = "JAAS realm of the login (the console's)")
        String realm() default "karaf";

        @AttributeDefinition(description = "Roles admitted (any one of them)")
        String[] roles() default {"viewer", "admin"};

        @AttributeDefinition(description = "Minutes without a request after which a session ends")
        int session_idle_minutes() default 30;

        @AttributeDefinition(description = "Hours after login after which a session ends in any case")
        int session_absolute_hours() default 8;

        @AttributeDefinition(description = "Sessions kept at most (the least recently used ends first)")
        int max_sessions() default 256;

        @AttributeDefinition(description = "Event streams open at most")
        int max_streams() default 16;

        @AttributeDefinition(description = "Seconds an address is refused after 5 failed logins (doubling with each further failure)")
        int login_block_seconds() default 30;
    }

    @Reference
    private SecurityServer securityServer;

    @Reference
    private PolicyService policyService;

    private EventHub hub;
    private SessionStore sessions;
    private AutoCloseable denialFeed;
    private ServiceRegistration<ServletContextHelper> contextReg;
    private ServiceRegistration<Servlet> servletReg;

    @Activate
    void activate(BundleContext ctx, Config config) {
        Clock clock = Clock.systemUTC();
        Duration absolute = Duration.ofHours(Math.max(1, config.session_absolute_hours()));
        sessions = new SessionStore(clock, Duration.ofMinutes(Math.max(1, config.session_idle_minutes())), absolute,
                Math.max(1, config.max_sessions()));
        LoginThrottle throttle = new LoginThrottle(clock, Duration.ofSeconds(Math.max(1, config.login_block_seconds())),
                Duration.ofHours(1), 4096);
        ViewData data = new ViewData(securityServer, policyService);
        hub = new EventHub(Math.max(1, config.max_streams()), data::overview, data::denialBatch);
        hub.start();
        try {
            denialFeed = securityServer.followDenials(hub::denials);
        } catch (RuntimeException e) {
            LOG.warn("web view: the Security Server's denial feed is unavailable, denials are not pushed live: {}",
                    e.toString());
        }
        Set<String> roles = new LinkedHashSet<>();
        for (String r : config.roles()) {   // "viewer,admin" from a .cfg file arrives as one string
            for (String one : r.split(",")) {
                if (!one.isBlank()) {
                    roles.add(one.trim());
                }
            }
        }
        WebViewServlet servlet = new WebViewServlet(data, sessions, throttle, new JaasAuthenticator(config.realm()), hub,
                roles, clock, absolute, Duration.ofSeconds(15));
        AuthGate gate = new AuthGate(sessions);

        Dictionary<String, Object> cp = new Hashtable<>();
        cp.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_CONTEXT_NAME, CONTEXT_NAME);
        cp.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_CONTEXT_PATH, CONTEXT_PATH);
        contextReg = ctx.registerService(ServletContextHelper.class, new ServletContextHelper(ctx.getBundle()) {
            @Override
            public boolean handleSecurity(HttpServletRequest request, HttpServletResponse response)
                    throws java.io.IOException {
                return gate.admit(request, response);
            }
        }, cp);

        Dictionary<String, Object> sp = new Hashtable<>();
        sp.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_NAME, CONTEXT_NAME);
        sp.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_PATTERN, "/*");
        sp.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_CONTEXT_SELECT,
                "(" + HttpWhiteboardConstants.HTTP_WHITEBOARD_CONTEXT_NAME + "=" + CONTEXT_NAME + ")");
        servletReg = ctx.registerService(Servlet.class, servlet, sp);
        LOG.info("web view at {}/ (realm {}, roles {})", CONTEXT_PATH, config.realm(), roles);
    }

    @Deactivate
    void deactivate() {
        unregister(servletReg);
        unregister(contextReg);
        if (denialFeed != null) {
            try {
                denialFeed.close();
            } catch (Exception e) {
                LOG.debug("web view: closing the denial feed: {}", e.toString());
            }
        }
        hub.close();
        sessions.clear();
    }

    private static void unregister(ServiceRegistration<?> r) {
        try {
            if (r != null) {
                r.unregister();
            }
        } catch (IllegalStateException already) {
            // the framework unregistered it first
        }
    }
}
