package org.opendsi.dsm.internal.jmx;

import java.util.function.ToLongFunction;

import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmStatus;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Registers {@link DsmStatsMBean} as {@code org.opendsi:type=Dsm}: Karaf's JMX whiteboard (feature
 * {@code management}) puts every service with a {@code jmx.objectname} property into the platform
 * MBean server, and takes it out when the service goes.
 */
@Component(service = DsmStatsMBean.class, property = "jmx.objectname=" + DsmStats.OBJECT_NAME)
public class DsmStats implements DsmStatsMBean {

    public static final String OBJECT_NAME = "org.opendsi:type=Dsm";

    @Reference
    private Dsm dsm;

    public DsmStats() {
        // for DS
    }

    DsmStats(Dsm dsm) {
        this.dsm = dsm;
    }

    private DsmStatus status() {
        return dsm.status();
    }

    /** One counter, read now; -1 while the DSM cannot give its counters. */
    private long counter(ToLongFunction<DsmCounters> f) {
        try {
            return f.applyAsLong(dsm.counters());
        } catch (DsmException e) {
            return -1;
        }
    }

    @Override
    public boolean isAvailable() {
        return status().available();
    }

    @Override
    public String getReason() {
        String r = status().reason();
        return r == null ? "" : r;
    }

    @Override
    public String getMode() {
        return status().mode();
    }

    @Override
    public long getSnID() {
        return Integer.toUnsignedLong(dsm.nodeId());
    }

    @Override
    public long getTableVersion() {
        return status().tableVersion();
    }

    @Override
    public String getLastTableError() {
        String e = status().lastTableError();
        return e == null ? "" : e;
    }

    @Override
    public long getKernelPolicyVersion() {
        return counter(DsmCounters::policyVersion);
    }

    @Override
    public long getPacketsLabeled() {
        return counter(DsmCounters::packetsLabeled);
    }

    @Override
    public long getPacketsAllowed() {
        return counter(DsmCounters::packetsAllowed);
    }

    @Override
    public long getPacketsDenied() {
        return counter(DsmCounters::packetsDenied);
    }

    @Override
    public long getPacketsAuditOnly() {
        return counter(DsmCounters::packetsAuditOnly);
    }

    @Override
    public long getForgedLabels() {
        return counter(DsmCounters::forgedLabels);
    }

    @Override
    public long getLocalDenied() {
        return counter(DsmCounters::localDenied);
    }

    @Override
    public long getExecsTransitioned() {
        return counter(DsmCounters::execsTransitioned);
    }

    @Override
    public long getExecsDenied() {
        return counter(DsmCounters::execsDenied);
    }

    @Override
    public long getEventsSuppressed() {
        return counter(DsmCounters::eventsSuppressed);
    }

    @Override
    public long getEventsLost() {
        return counter(DsmCounters::eventsLost);
    }

    @Override
    public long getTableSwaps() {
        return counter(DsmCounters::tableSwaps);
    }

    @Override
    public long getLabelsBadMac() {
        return counter(DsmCounters::labelsBadMac);
    }

    @Override
    public long getLabelsNoKey() {
        return counter(DsmCounters::labelsNoKey);
    }

    @Override
    public long getSealedDrops() {
        return counter(DsmCounters::sealedDrops);
    }

    @Override
    public long getLabelFailed() {
        return counter(DsmCounters::labelFailed);
    }

    @Override
    public long getLabelTooBig() {
        return counter(DsmCounters::labelTooBig);
    }

    @Override
    public long getExecsKilled() {
        return counter(DsmCounters::execsKilled);
    }

    @Override
    public long getExecsDumpable() {
        return counter(DsmCounters::execsDumpable);
    }

    @Override
    public long getPortGuardDrops() {
        return counter(DsmCounters::portGuardDrops);
    }

    @Override
    public int getLabelKeySendEpoch() {
        try {
            return dsm.labelKeys().sendEpoch();
        } catch (DsmException e) {
            return -1;
        }
    }

    @Override
    public int getLabelKeysHeld() {
        try {
            return dsm.labelKeys().held().size();
        } catch (DsmException e) {
            return -1;
        }
    }
}
