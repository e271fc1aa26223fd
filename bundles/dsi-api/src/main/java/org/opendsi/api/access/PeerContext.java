package org.opendsi.api.access;

/**
 * The answer to "who is at the other end of my connected socket".
 *
 * @param kind   LOCAL (resolved: pid, scid, snid are set), REMOTE (peer on another node: unknown
 *               here), NOT_FOUND (no such connection, or not the asker's)
 * @param pid    the process owning the peer socket (LOCAL only, else 0)
 * @param scid   the peer's ScID (0 = unlabeled)
 * @param snid   the peer's SnID (this node's)
 * @param reason why nothing was resolved (empty for LOCAL)
 */
public record PeerContext(Kind kind, int pid, int scid, int snid, String reason) {

    public enum Kind { LOCAL, REMOTE, NOT_FOUND }

    public static PeerContext local(int pid, int scid, int snid) {
        return new PeerContext(Kind.LOCAL, pid, scid, snid, "");
    }

    public static PeerContext remote(String reason) {
        return new PeerContext(Kind.REMOTE, 0, 0, 0, reason);
    }

    public static PeerContext notFound(String reason) {
        return new PeerContext(Kind.NOT_FOUND, 0, 0, 0, reason);
    }
}
