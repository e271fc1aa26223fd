package org.opendsi.api.access;

import java.net.InetSocketAddress;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;

/**
 * The Access Control Service (user-space part of DSI's ACS), registered with
 * {@code dsi.service.type=access-control}. It turns each applied policy plus this node's security
 * context repository into DSM tables, keeps binary labels in step with its configuration, and
 * answers decisions for applications with finer needs.
 */
public interface AccessControlService {

    /** Decides with the policy in force: may subject (s, n) exercise perm on target context t. */
    Decision decide(int subjectScid, int subjectSnid, int targetScid, Permission permission);

    /** Version of the policy this service last turned into DSM tables, 0 = none yet. */
    long tableVersion();

    /**
     * The security context of the peer of a connected TCP socket, given the socket's 4-tuple as
     * seen by the asking application (its local and its remote address). Only a peer on this node
     * can be resolved; for a remote peer the answer is {@link PeerContext.Kind#REMOTE} (its label
     * is checked by the kernel on receipt, and not revealed to the application).
     */
    PeerContext peerContext(InetSocketAddress local, InetSocketAddress remote);
}
