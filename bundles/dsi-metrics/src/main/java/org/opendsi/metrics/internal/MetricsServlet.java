package org.opendsi.metrics.internal;

import java.io.IOException;
import java.io.OutputStream;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import org.opendsi.dsm.Dsm;
import org.opendsi.cluster.protocol.AuditDenials;
import org.opendsi.api.audit.AuditService;
import org.opendsi.sm.SecurityManagerService;
import org.opendsi.ss.SecurityServer;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code GET /metrics} in the Prometheus text format, registered with the OSGi HTTP whiteboard (Pax
 * Web, feature {@code pax-web-http-whiteboard}). Port and listening address: etc/org.ops4j.pax.web.cfg.
 * Both services are optional and dynamic: while one is absent its metrics are absent.
 */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/metrics",
    "osgi.http.whiteboard.servlet.name=dsi-metrics"
})
public class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Dsm dsm;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SecurityServer securityServer;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SecurityManagerService securityManager;

    /** Denials per flow, counted from the auditing service's records since this component started. */
    private final DenialCounters denials = new DenialCounters();
    private final AuditDenials auditDenials = new AuditDenials(denials::add);
    private volatile AuditService audit;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindAudit")
    void bindAudit(AuditService a) {
        audit = a;
        auditDenials.bind(a);
    }

    void unbindAudit(AuditService a) {
        auditDenials.unbind(a);
        if (audit == a) {
            audit = null;
        }
    }

    @Deactivate
    void deactivate() {
        auditDenials.close();
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        AuditService a = audit;
        MetricSnapshots snapshots = DsiMetrics.collect(new DsiMetrics.Sources(dsm, securityServer, securityManager, a,
                a == null ? null : denials));
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(DsiMetrics.CONTENT_TYPE);
        resp.setHeader("Cache-Control", "no-store");
        try (OutputStream out = resp.getOutputStream()) {
            DsiMetrics.write(out, snapshots);
        }
    }
}
