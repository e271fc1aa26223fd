package org.opendsi.shell.internal;

import java.util.EnumSet;
import java.util.Map;

import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every node serves its Prometheus metrics: once Karaf's boot features are in (BootFinished), this
 * installs feature {@code dsi-metrics} (Pax Web, from the distribution's system/ folder) unless it is
 * installed already or {@code metrics = false} in {@code org.opendsi.node}. Not a boot feature: Pax
 * Web among the boot features made a fresh distribution's first boot refresh pax-logging and
 * fileinstall half-way and die; installed after the boot, without refreshing anything, it does not.
 */
@Component(service = {}, immediate = true, configurationPid = "org.opendsi.node",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class MetricsFeatureInstaller {

    static final String FEATURE = "dsi-metrics";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsFeatureInstaller.class);

    @Reference
    FeaturesService features;

    /** Only there once the boot features are installed. */
    @Reference
    BootFinished bootFinished;

    private volatile Thread installer;

    @Activate
    void activate(Map<String, Object> props) {
        if (!wanted(props)) {
            LOG.info("metrics = false in org.opendsi.node: {} is not installed", FEATURE);
            return;
        }
        Thread t = new Thread(this::install, "dsi-metrics-installer");
        t.setDaemon(true);
        installer = t;
        t.start();
    }

    @Deactivate
    void deactivate() {
        installer = null;
    }

    static boolean wanted(Map<String, Object> props) {
        Object v = props.get("metrics");
        return v == null || !"false".equalsIgnoreCase(String.valueOf(v).trim());
    }

    private void install() {
        try {
            Feature f = features.getFeature(FEATURE);
            if (f == null) {
                LOG.warn("feature {} is not in any feature repository: this node serves no /metrics", FEATURE);
                return;
            }
            if (features.isInstalled(f) || installer != Thread.currentThread()) {
                return;
            }
            features.installFeature(FEATURE, EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles));
            LOG.info("{} installed: this node's metrics are at /metrics on Karaf's HTTP service", FEATURE);
        } catch (Exception e) {
            LOG.error("cannot install {}: this node serves no /metrics: {}", FEATURE, e.toString());
        }
    }
}
