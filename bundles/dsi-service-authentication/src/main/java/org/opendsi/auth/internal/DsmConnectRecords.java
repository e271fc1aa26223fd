package org.opendsi.auth.internal;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.opendsi.api.auth.AuthenticationException;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context of a socket's caller as the DSM recorded it when the caller connected (kernel hook
 * cgroup/connect_unix). On a kernel without that hook (older than 6.7) the context is read at
 * accept instead, which a process that execs into another context between its connect() and the
 * accept can win; that is said once in the log.
 */
final class DsmConnectRecords implements UnixSocketServer.ConnectRecords {

    private static final Logger LOG = LoggerFactory.getLogger(DsmConnectRecords.class);

    private final Supplier<Dsm> dsm;
    private final AtomicBoolean warned = new AtomicBoolean();

    DsmConnectRecords(Supplier<Dsm> dsm) {
        this.dsm = dsm;
    }

    @Override
    public int contextAtConnect(int fd, int pid) {
        Dsm d = dsm.get();
        if (d == null) {
            throw new AuthenticationException("the DSM service is not registered");
        }
        try {
            Optional<Dsm.UnixPeer> peer = d.unixPeer(fd);
            if (peer.isEmpty()) {
                return 0;
            }
            if (peer.get().pid() != pid) {
                throw new AuthenticationException("the socket was connected by pid " + peer.get().pid()
                        + ", the kernel names pid " + pid + " as its peer");
            }
            return peer.get().scid();
        } catch (DsmUnavailableException e) {
            throw e;
        } catch (DsmException e) {
            if (!e.unsupported()) {
                throw e;
            }
            if (warned.compareAndSet(false, true)) {
                LOG.warn("Authentication: {}; the caller's context is read at accept instead of at connect", e.getMessage());
            }
            return d.contextOf(pid);
        }
    }
}
