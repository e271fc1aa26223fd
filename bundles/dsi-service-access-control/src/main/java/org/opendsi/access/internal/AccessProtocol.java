package org.opendsi.access.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.access.AccessControlService;
import org.opendsi.api.access.PeerContext;

/**
 * The line protocol of {@code access.sock}: one request line, one answer line, many per connection.
 * <pre>
 * DECIDE s n t perm            -> ALLOW rule line | DENY rule line [audit-only] (root and the socket's group only)
 * PEER local:port remote:port  -> PEER scid snid pid | UNKNOWN reason | NOTFOUND reason
 * VERSION                      -> VERSION n
 * anything else                -> ERR reason
 * </pre>
 * Addresses are numeric (IPv6 in brackets). PEER names the asker's own connected TCP socket.
 */
final class AccessProtocol {

    private final AccessControlService acs;
    private final PeerResolver peers;

    AccessProtocol(AccessControlService acs, PeerResolver peers) {
        this.acs = acs;
        this.peers = peers;
    }

    String answer(String line, AccessSocketServer.Asker asker) {
        String[] w = line.trim().split("\\s+");
        try {
            switch (w[0].toUpperCase(Locale.ROOT)) {
                case "DECIDE": {
                    if (!asker.inGroup()) {
                        // the policy says who may reach whom: not for every local user
                        return "ERR DECIDE is answered to root and to members of the socket's group only";
                    }
                    if (w.length != 5) {
                        return "ERR usage: DECIDE s n t perm";
                    }
                    Decision d = acs.decide(SecurityIds.parse("ScID", w[1]), SecurityIds.parse("SnID", w[2]),
                            SecurityIds.parse("ScID", w[3]), Permission.parse(w[4]));
                    return (d.allowed() ? "ALLOW " : "DENY ") + d.ruleId() + " " + d.ruleLine()
                            + (d.auditOnly() ? " audit-only" : "");
                }
                case "PEER": {
                    if (w.length != 3) {
                        return "ERR usage: PEER local-addr:port remote-addr:port";
                    }
                    if (asker.uid() == null) {
                        return "NOTFOUND the asking process cannot be identified (SO_PEERCRED)";
                    }
                    PeerContext p = peers.resolve(address(w[1]), address(w[2]), asker.uid());
                    switch (p.kind()) {
                        case LOCAL:
                            return "PEER " + SecurityIds.format(p.scid()) + " " + SecurityIds.format(p.snid()) + " "
                                    + p.pid();
                        case REMOTE:
                            return "UNKNOWN " + p.reason();
                        default:
                            return "NOTFOUND " + p.reason();
                    }
                }
                case "VERSION":
                    return "VERSION " + acs.tableVersion();
                default:
                    return "ERR unknown request '" + w[0] + "'; expected DECIDE, PEER or VERSION";
            }
        } catch (IllegalArgumentException e) {
            return "ERR " + e.getMessage();
        }
    }

    /** "1.2.3.4:80" or "[::1]:80"; numeric only (no name lookups). */
    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected address:port, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not a numeric address: '" + host + "'");
        }
        int port = Integer.parseInt(text.substring(colon + 1));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bad port " + port);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("bad address '" + host + "'");
        }
    }
}
