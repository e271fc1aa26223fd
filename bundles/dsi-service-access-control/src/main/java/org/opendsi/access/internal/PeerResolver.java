package org.opendsi.access.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.IntUnaryOperator;

import org.opendsi.api.access.PeerContext;
import org.opendsi.dsm.DsmException;

/**
 * "Who is at the other end of my connected socket": seed 000's API for applications with finer
 * needs. The application names its socket by its 4-tuple (its local and remote address); when the
 * remote address is this node's, the peer socket is the one with the tuple reversed, its inode
 * leads to the owning pid; the context reported is the peer socket's own, as the kernel labels its
 * packets (the cgroup it was created in, {@code Dsm.socketContext}), not the pid's current one: a
 * process that opens a connection and then execs into another context keeps the socket's context
 * on the wire, and PEER says the same. (A kernel that cannot tell the socket's cgroup falls back to
 * the pid's context.) A peer on another node is unknown
 * here: its label travels in the packets and is checked by the kernel on receipt, it is not
 * revealed to applications. Limits: TCP only; only this Karaf's network namespace; when several
 * processes share the peer socket (fork), the first found is reported.
 */
final class PeerResolver {

    private final ProcNet net;
    private final IntUnaryOperator contextOf;
    private final SocketContexts sockets;
    private final int snid;

    /** The context of a local TCP socket named by (its local address, its remote address); empty: no such socket. */
    @FunctionalInterface
    interface SocketContexts {
        OptionalInt of(InetSocketAddress local, InetSocketAddress remote);
    }

    PeerResolver(ProcNet net, IntUnaryOperator contextOf, SocketContexts sockets, int snid) {
        this.net = net;
        this.contextOf = contextOf;
        this.sockets = sockets;
        this.snid = snid;
    }

    /**
     * @param askerUid when not null, the asker's socket (local -> remote) must belong to this uid
     *                 (root may ask about any socket)
     */
    PeerContext resolve(InetSocketAddress local, InetSocketAddress remote, Integer askerUid) {
        try {
            if (askerUid != null && askerUid != 0) {
                Optional<ProcNet.Entry> mine = net.find(local, remote);
                if (mine.isEmpty() || mine.get().uid() != askerUid) {
                    return PeerContext.notFound("no connection " + text(local) + " -> " + text(remote)
                            + " of the asking user");
                }
            }
            if (!ProcNet.isLocal(remote.getAddress())) {
                return PeerContext.remote("peer " + text(remote) + " is not on this node: its label is checked by"
                        + " the kernel on receipt and not revealed");
            }
            Optional<ProcNet.Entry> peer = net.find(remote, local);
            if (peer.isEmpty()) {
                return PeerContext.notFound("no local socket " + text(remote) + " connected to " + text(local));
            }
            OptionalInt pid = net.ownerOf(peer.get().inode());
            if (pid.isEmpty()) {
                return PeerContext.notFound("the process owning " + text(remote) + " cannot be found");
            }
            int scid;
            try {
                OptionalInt s = sockets.of(remote, local);
                if (s.isEmpty()) {
                    return PeerContext.notFound("no local socket " + text(remote) + " connected to " + text(local));
                }
                scid = s.getAsInt();
            } catch (DsmException e) {
                if (!e.unsupported()) {
                    throw e;
                }
                scid = contextOf.applyAsInt(pid.getAsInt());
            }
            return PeerContext.local(pid.getAsInt(), scid, snid);
        } catch (IOException | RuntimeException e) {
            return PeerContext.notFound("lookup failed: " + e.getMessage());
        }
    }

    static String text(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
