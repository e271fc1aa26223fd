package org.opendsi.audit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.opendsi.api.audit.AuditCheckpoint;

/**
 * {@link AuditingStatsMBean} over an {@link AuditRuntime}. {@link AuditingComponent} registers it with
 * {@code jmx.objectname=org.opendsi:type=Auditing}, which Karaf's JMX whiteboard (feature
 * {@code management}) puts into the platform MBean server.
 */
public class AuditingStats implements AuditingStatsMBean {

    public static final String OBJECT_NAME = "org.opendsi:type=Auditing";

    private final AuditRuntime runtime;

    AuditingStats(AuditRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public long getLastSeq() {
        return runtime.journal().checkpoint(Instant.now()).seq();
    }

    @Override
    public long getRecords() {
        AuditCheckpoint c = runtime.journal().checkpoint(Instant.now());
        return c.seq() == 0 ? 0 : c.seq() - c.firstSeq() + 1;
    }

    @Override
    public long getBytes() {
        long bytes = 0;
        for (Path f : files()) {
            try {
                bytes += Files.size(f);
            } catch (IOException e) {
                // deleted meanwhile (rotation): not part of the journal any more
            }
        }
        return bytes;
    }

    @Override
    public int getFiles() {
        return files().size();
    }

    private List<Path> files() {
        try {
            return runtime.journal().files();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean isIntact() {
        return runtime.lastIntegrityProblem() == null;
    }

    @Override
    public String getIntegrityProblem() {
        String p = runtime.lastIntegrityProblem();
        return p == null ? "" : p;
    }

    @Override
    public long getRecordsLost() {
        return runtime.dropped();
    }

    @Override
    public boolean isSyslogForwarding() {
        return runtime.syslog() != null;
    }

    @Override
    public String getSyslogState() {
        SyslogForwarder f = runtime.syslog();
        return f == null ? "off" : f.state();
    }

    @Override
    public long getSyslogSent() {
        SyslogForwarder f = runtime.syslog();
        return f == null ? -1 : f.sent();
    }

    @Override
    public long getSyslogDropped() {
        SyslogForwarder f = runtime.syslog();
        return f == null ? -1 : f.dropped();
    }

    @Override
    public long getSyslogPending() {
        SyslogForwarder f = runtime.syslog();
        return f == null ? -1 : Math.max(0, getLastSeq() - f.exportedSeq());
    }
}
