package org.opendsi.shell.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class MetricsFeatureInstallerTest {

    @Test
    void metricsAreInstalledUnlessTurnedOff() {
        assertTrue(MetricsFeatureInstaller.wanted(Map.of()), "on by default");
        assertTrue(MetricsFeatureInstaller.wanted(Map.of("metrics", "true")));
        assertFalse(MetricsFeatureInstaller.wanted(Map.of("metrics", "false")));
        assertFalse(MetricsFeatureInstaller.wanted(Map.of("metrics", " FALSE ")));
        assertFalse(MetricsFeatureInstaller.wanted(Map.of("metrics", Boolean.FALSE)));
    }
}
