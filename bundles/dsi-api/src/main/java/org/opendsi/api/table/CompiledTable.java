package org.opendsi.api.table;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.opendsi.api.Permission;

/**
 * The compiled decision tables of one policy version: the single format shared by the policy
 * compiler (Java) and the kernel DSM (libdsm loads exactly these bytes into BPF maps).
 * The byte layout is documented in TABLE-FORMAT.md beside this class and is versioned by
 * {@link #FORMAT_VERSION}; {@link #encode()} and {@link #decode(byte[])} implement it.
 *
 * <p>Entries are kept sorted (see each comparator) so that the same policy always encodes to the
 * same bytes.
 */
public final class CompiledTable {

    public static final byte[] MAGIC = {'D', 'S', 'I', 'T'};
    public static final int FORMAT_VERSION = 1;
    public static final int HEADER_SIZE = 128;
    public static final int CONTEXT_SIZE = 8;
    public static final int NODE_SIZE = 8;
    public static final int ACCESS_SIZE = 16 + 4 * Permission.SLOTS;
    public static final int SOCKET_LABEL_SIZE = 16;
    public static final int TRANSITION_SIZE = 16;
    public static final int NET_RULE_SIZE = 16;
    /** Upper bound on entries of any one section, so a corrupt header cannot make us allocate GBs. */
    public static final int MAX_ENTRIES = 4_000_000;

    public static final int CONTEXT_FLAG_AUDIT = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    /** A security context and its mode. */
    public record Context(int scid, int flags) {
        public boolean audit() {
            return (flags & CONTEXT_FLAG_AUDIT) != 0;
        }
    }

    /** A cluster node and the IPv4 address its labels are accepted from (network byte order). */
    public record Node(int snid, byte[] ipv4) {
        public Node {
            if (ipv4.length != 4) {
                throw new IllegalArgumentException("IPv4 address must have 4 bytes");
            }
            ipv4 = ipv4.clone();
        }

        @Override
        public byte[] ipv4() {
            return ipv4.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Node n && n.snid == snid && Arrays.equals(n.ipv4, ipv4);
        }

        @Override
        public int hashCode() {
            return 31 * snid + Arrays.hashCode(ipv4);
        }

        @Override
        public String toString() {
            return "Node[" + Integer.toUnsignedString(snid) + "@" + (ipv4[0] & 255) + "." + (ipv4[1] & 255)
                    + "." + (ipv4[2] & 255) + "." + (ipv4[3] & 255) + "]";
        }
    }

    /**
     * The resolved decision for (source ScID, source SnID or ANY, target ScID): the allowed
     * permission bits and, per permission bit, the id of the rule that decided it (0 = the policy
     * default). Precedence is already applied by the compiler.
     */
    public record Access(int srcScid, int srcSnid, int tgtScid, int allowMask, int[] ruleIds) {
        public Access {
            if (ruleIds.length != Permission.SLOTS) {
                throw new IllegalArgumentException("ruleIds must have " + Permission.SLOTS + " slots");
            }
            ruleIds = ruleIds.clone();
        }

        @Override
        public int[] ruleIds() {
            return ruleIds.clone();
        }

        public int ruleId(Permission p) {
            return ruleIds[p.bit()];
        }

        public boolean allows(Permission p) {
            return (allowMask & p.mask()) != 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Access a && a.srcScid == srcScid && a.srcSnid == srcSnid && a.tgtScid == tgtScid
                    && a.allowMask == allowMask && Arrays.equals(a.ruleIds, ruleIds);
        }

        @Override
        public int hashCode() {
            return ((srcScid * 31 + srcSnid) * 31 + tgtScid) * 31 + allowMask;
        }

        @Override
        public String toString() {
            return "Access[" + Integer.toUnsignedString(srcScid) + "@" + Integer.toUnsignedString(srcSnid) + "->"
                    + Integer.toUnsignedString(tgtScid) + " allow=" + Permission.fromMask(allowMask)
                    + " rules=" + Arrays.toString(ruleIds) + "]";
        }
    }

    /** Sockets of this protocol and local port (on snid, or ANY node) carry this ScID. */
    public record SocketLabel(int protocol, int port, int snid, int scid, int ruleId) {
    }

    /** A process of parentScid exec'ing a binary labeled binaryScid runs as newScid. */
    public record Transition(int parentScid, int binaryScid, int newScid, int ruleId) {
    }

    /**
     * A rule on traffic to addresses outside the cluster: processes of scid (or ANY) reaching
     * prefix/prefixLen get permMask allowed (action 1) or denied (action 0).
     */
    public record NetRule(int scid, byte[] prefix, int prefixLen, int action, int permMask, int ruleId) {
        public NetRule {
            if (prefix.length != 4) {
                throw new IllegalArgumentException("IPv4 prefix must have 4 bytes");
            }
            if (prefixLen < 0 || prefixLen > 32) {
                throw new IllegalArgumentException("prefix length " + prefixLen);
            }
            prefix = prefix.clone();
        }

        @Override
        public byte[] prefix() {
            return prefix.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NetRule n && n.scid == scid && Arrays.equals(n.prefix, prefix) && n.prefixLen == prefixLen
                    && n.action == action && n.permMask == permMask && n.ruleId == ruleId;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(prefix) * 31 + scid + prefixLen;
        }
    }

    private final long policyVersion;
    private final byte[] digest;
    private final int defaultAllowMask;
    private final int externalAllowMask;
    private final List<Context> contexts;
    private final List<Node> nodes;
    private final List<Access> access;
    private final List<SocketLabel> socketLabels;
    private final List<Transition> transitions;
    private final List<NetRule> netRules;

    public CompiledTable(long policyVersion, byte[] digest, int defaultAllowMask, int externalAllowMask,
                         List<Context> contexts, List<Node> nodes, List<Access> access,
                         List<SocketLabel> socketLabels, List<Transition> transitions, List<NetRule> netRules) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("digest must be 32 bytes (SHA-256)");
        }
        this.policyVersion = policyVersion;
        this.digest = digest.clone();
        this.defaultAllowMask = defaultAllowMask;
        this.externalAllowMask = externalAllowMask;
        this.contexts = sorted(contexts, Comparator.comparingLong((Context c) -> u(c.scid())));
        this.nodes = sorted(nodes, Comparator.comparingLong((Node n) -> u(n.snid())));
        this.access = sorted(access, Comparator.comparingLong((Access a) -> u(a.srcScid()))
                .thenComparingLong(a -> u(a.tgtScid())).thenComparingLong(a -> u(a.srcSnid())));
        this.socketLabels = sorted(socketLabels, Comparator.comparingInt(SocketLabel::protocol)
                .thenComparingInt(SocketLabel::port).thenComparingLong(s -> u(s.snid())));
        this.transitions = sorted(transitions, Comparator.comparingLong((Transition t) -> u(t.parentScid()))
                .thenComparingLong(t -> u(t.binaryScid())));
        this.netRules = sorted(netRules, Comparator.comparingLong((NetRule r) -> u(r.scid()))
                .thenComparingLong(r -> u(ByteBuffer.wrap(r.prefix()).getInt())).thenComparingInt(NetRule::prefixLen));
    }

    private static long u(int v) {
        return Integer.toUnsignedLong(v);
    }

    private static <T> List<T> sorted(List<T> in, Comparator<T> order) {
        List<T> copy = new ArrayList<>(in);
        copy.sort(order);
        return List.copyOf(copy);
    }

    public long policyVersion() {
        return policyVersion;
    }

    public byte[] digest() {
        return digest.clone();
    }

    public int defaultAllowMask() {
        return defaultAllowMask;
    }

    public int externalAllowMask() {
        return externalAllowMask;
    }

    public List<Context> contexts() {
        return contexts;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<Access> access() {
        return access;
    }

    public List<SocketLabel> socketLabels() {
        return socketLabels;
    }

    public List<Transition> transitions() {
        return transitions;
    }

    public List<NetRule> netRules() {
        return netRules;
    }

    /** The same tables stamped with another version (the digest names the content, not the version). */
    public CompiledTable withVersion(long version) {
        return new CompiledTable(version, digest, defaultAllowMask, externalAllowMask, contexts, nodes, access,
                socketLabels, transitions, netRules);
    }

    public int encodedSize() {
        return HEADER_SIZE + contexts.size() * CONTEXT_SIZE + nodes.size() * NODE_SIZE + access.size() * ACCESS_SIZE
                + socketLabels.size() * SOCKET_LABEL_SIZE + transitions.size() * TRANSITION_SIZE
                + netRules.size() * NET_RULE_SIZE;
    }

    /** Encodes as documented in TABLE-FORMAT.md. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(encodedSize()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) FORMAT_VERSION);
        b.putShort((short) HEADER_SIZE);
        b.putLong(policyVersion);
        b.put(digest);
        b.putInt(defaultAllowMask);
        b.putInt(externalAllowMask);
        b.putInt(contexts.size());
        b.putInt(nodes.size());
        b.putInt(access.size());
        b.putInt(socketLabels.size());
        b.putInt(transitions.size());
        b.putInt(netRules.size());
        b.position(HEADER_SIZE);
        for (Context c : contexts) {
            b.putInt(c.scid()).putInt(c.flags());
        }
        for (Node n : nodes) {
            b.putInt(n.snid()).put(n.ipv4);
        }
        for (Access a : access) {
            b.putInt(a.srcScid()).putInt(a.srcSnid()).putInt(a.tgtScid()).putInt(a.allowMask());
            for (int id : a.ruleIds) {
                b.putInt(id);
            }
        }
        for (SocketLabel s : socketLabels) {
            b.put((byte) s.protocol()).put((byte) 0).putShort((short) s.port()).putInt(s.snid()).putInt(s.scid())
                    .putInt(s.ruleId());
        }
        for (Transition t : transitions) {
            b.putInt(t.parentScid()).putInt(t.binaryScid()).putInt(t.newScid()).putInt(t.ruleId());
        }
        for (NetRule r : netRules) {
            b.putInt(r.scid()).put(r.prefix).put((byte) r.prefixLen()).put((byte) r.action())
                    .putShort((short) r.permMask()).putInt(r.ruleId());
        }
        return b.array();
    }

    /**
     * Decodes and checks the header, the section sizes and the total length.
     *
     * @throws TableFormatException naming the offset and what was wrong
     */
    public static CompiledTable decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < HEADER_SIZE) {
            throw new TableFormatException(0, "table is " + bytes.length + " bytes, shorter than its header");
        }
        byte[] magic = new byte[4];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new TableFormatException(0, "bad magic, not a DSI compiled table");
        }
        int version = Short.toUnsignedInt(b.getShort());
        if (version != FORMAT_VERSION) {
            throw new TableFormatException(4, "format version " + version + " not supported (expected "
                    + FORMAT_VERSION + ")");
        }
        int headerLen = Short.toUnsignedInt(b.getShort());
        if (headerLen != HEADER_SIZE) {
            throw new TableFormatException(6, "header length " + headerLen + " (expected " + HEADER_SIZE + ")");
        }
        long policyVersion = b.getLong();
        byte[] digest = new byte[32];
        b.get(digest);
        int defaultMask = b.getInt();
        int externalMask = b.getInt();
        int[] counts = new int[6];
        long total = HEADER_SIZE;
        int[] sizes = {CONTEXT_SIZE, NODE_SIZE, ACCESS_SIZE, SOCKET_LABEL_SIZE, TRANSITION_SIZE, NET_RULE_SIZE};
        for (int i = 0; i < counts.length; i++) {
            counts[i] = b.getInt();
            if (counts[i] < 0 || counts[i] > MAX_ENTRIES) {
                throw new TableFormatException(56 + 4 * i, "section count " + Integer.toUnsignedString(counts[i])
                        + " exceeds " + MAX_ENTRIES);
            }
            total += (long) counts[i] * sizes[i];
        }
        if (total != bytes.length) {
            throw new TableFormatException(56, "sections need " + total + " bytes but the table has " + bytes.length);
        }
        b.position(HEADER_SIZE);
        List<Context> contexts = new ArrayList<>(counts[0]);
        for (int i = 0; i < counts[0]; i++) {
            contexts.add(new Context(b.getInt(), b.getInt()));
        }
        List<Node> nodes = new ArrayList<>(counts[1]);
        for (int i = 0; i < counts[1]; i++) {
            int snid = b.getInt();
            byte[] ip = new byte[4];
            b.get(ip);
            nodes.add(new Node(snid, ip));
        }
        List<Access> access = new ArrayList<>(counts[2]);
        for (int i = 0; i < counts[2]; i++) {
            int s = b.getInt();
            int sn = b.getInt();
            int t = b.getInt();
            int mask = b.getInt();
            int[] ids = new int[Permission.SLOTS];
            for (int k = 0; k < ids.length; k++) {
                ids[k] = b.getInt();
            }
            access.add(new Access(s, sn, t, mask, ids));
        }
        List<SocketLabel> labels = new ArrayList<>(counts[3]);
        for (int i = 0; i < counts[3]; i++) {
            int proto = Byte.toUnsignedInt(b.get());
            b.get();
            int port = Short.toUnsignedInt(b.getShort());
            labels.add(new SocketLabel(proto, port, b.getInt(), b.getInt(), b.getInt()));
        }
        List<Transition> transitions = new ArrayList<>(counts[4]);
        for (int i = 0; i < counts[4]; i++) {
            transitions.add(new Transition(b.getInt(), b.getInt(), b.getInt(), b.getInt()));
        }
        List<NetRule> netRules = new ArrayList<>(counts[5]);
        for (int i = 0; i < counts[5]; i++) {
            int scid = b.getInt();
            byte[] prefix = new byte[4];
            b.get(prefix);
            int len = Byte.toUnsignedInt(b.get());
            int action = Byte.toUnsignedInt(b.get());
            int perms = Short.toUnsignedInt(b.getShort());
            int rule = b.getInt();
            if (len > 32) {
                throw new TableFormatException(b.position() - 8, "prefix length " + len + " > 32");
            }
            netRules.add(new NetRule(scid, prefix, len, action, perms, rule));
        }
        return new CompiledTable(policyVersion, digest, defaultMask, externalMask, contexts, nodes, access, labels,
                transitions, netRules);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompiledTable t && Arrays.equals(t.encode(), encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }
}
