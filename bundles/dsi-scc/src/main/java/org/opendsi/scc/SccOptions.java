package org.opendsi.scc;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of one SCC server or client. Start from {@link #defaults()} and change what you need:
 * {@code SccOptions.defaults().toBuilder().serverIdentityPrefix("spiffe://c1/ss").build()}.
 *
 * @param maxFrameSize         largest accepted frame (envelope bytes, without the 4-byte length); a
 *                             peer announcing a larger frame is disconnected. Default 1 MiB.
 * @param alarmQueueBound      outbound ALARM messages that may wait per connection (default 10 000)
 * @param controlQueueBound    outbound CONTROL messages that may wait per connection (default 10 000)
 * @param bulkQueueBound       outbound BULK messages that may wait per connection (default 1 000)
 * @param heartbeatInterval    how often a client sends PING (default 5 s)
 * @param heartbeatTimeout     a connection that receives no frame for this long is closed (default 15 s)
 * @param handshakeTimeout     TLS handshake plus HELLO exchange must finish within this (default 10 s)
 * @param frameReadTimeout     a frame whose first byte arrived must be complete within this (default 10 s)
 * @param backoffMin           first reconnect delay of a client (default 250 ms)
 * @param backoffMax           reconnect delay cap (default 30 s); delays double and are jittered (50-100 %)
 * @param requestTimeout       default timeout of {@code request} calls without an explicit timeout (10 s)
 * @param serverIdentityPrefix client only, required there: the server certificate must carry a URI SAN
 *                             starting with this (e.g. {@code spiffe://cluster1/ss}); replaces hostname checks
 * @param writeBufferHighWater bytes the socket layer may hold per connection before the priority
 *                             queues stop draining into it (default 64 KiB); small = alarms overtake sooner
 */
public record SccOptions(int maxFrameSize, int alarmQueueBound, int controlQueueBound, int bulkQueueBound,
                         Duration heartbeatInterval, Duration heartbeatTimeout, Duration handshakeTimeout,
                         Duration frameReadTimeout, Duration backoffMin, Duration backoffMax,
                         Duration requestTimeout, String serverIdentityPrefix, int writeBufferHighWater) {

    public SccOptions {
        if (maxFrameSize < 1024) {
            throw new IllegalArgumentException("maxFrameSize must be >= 1024");
        }
        if (alarmQueueBound < 1 || controlQueueBound < 1 || bulkQueueBound < 1) {
            throw new IllegalArgumentException("queue bounds must be >= 1");
        }
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(heartbeatTimeout, "heartbeatTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(frameReadTimeout, "frameReadTimeout");
        Objects.requireNonNull(backoffMin, "backoffMin");
        Objects.requireNonNull(backoffMax, "backoffMax");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
            throw new IllegalArgumentException("heartbeatTimeout must be longer than heartbeatInterval");
        }
        if (backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoffMax must be >= backoffMin");
        }
        if (writeBufferHighWater < 1024) {
            throw new IllegalArgumentException("writeBufferHighWater must be >= 1024");
        }
    }

    public static SccOptions defaults() {
        return new Builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxFrameSize = maxFrameSize;
        b.alarmQueueBound = alarmQueueBound;
        b.controlQueueBound = controlQueueBound;
        b.bulkQueueBound = bulkQueueBound;
        b.heartbeatInterval = heartbeatInterval;
        b.heartbeatTimeout = heartbeatTimeout;
        b.handshakeTimeout = handshakeTimeout;
        b.frameReadTimeout = frameReadTimeout;
        b.backoffMin = backoffMin;
        b.backoffMax = backoffMax;
        b.requestTimeout = requestTimeout;
        b.serverIdentityPrefix = serverIdentityPrefix;
        b.writeBufferHighWater = writeBufferHighWater;
        return b;
    }

    /** Queue bound of one priority lane. */
    public int queueBound(SccPriority priority) {
        return switch (priority) {
            case ALARM -> alarmQueueBound;
            case CONTROL -> controlQueueBound;
            case BULK -> bulkQueueBound;
        };
    }

    public static final class Builder {
        private int maxFrameSize = 1024 * 1024;
        private int alarmQueueBound = 10_000;
        private int controlQueueBound = 10_000;
        private int bulkQueueBound = 1_000;
        private Duration heartbeatInterval = Duration.ofSeconds(5);
        private Duration heartbeatTimeout = Duration.ofSeconds(15);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration frameReadTimeout = Duration.ofSeconds(10);
        private Duration backoffMin = Duration.ofMillis(250);
        private Duration backoffMax = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private String serverIdentityPrefix;
        private int writeBufferHighWater = 64 * 1024;

        public Builder maxFrameSize(int v) { maxFrameSize = v; return this; }
        public Builder alarmQueueBound(int v) { alarmQueueBound = v; return this; }
        public Builder controlQueueBound(int v) { controlQueueBound = v; return this; }
        public Builder bulkQueueBound(int v) { bulkQueueBound = v; return this; }
        public Builder heartbeatInterval(Duration v) { heartbeatInterval = v; return this; }
        public Builder heartbeatTimeout(Duration v) { heartbeatTimeout = v; return this; }
        public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
        public Builder frameReadTimeout(Duration v) { frameReadTimeout = v; return this; }
        public Builder backoffMin(Duration v) { backoffMin = v; return this; }
        public Builder backoffMax(Duration v) { backoffMax = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder serverIdentityPrefix(String v) { serverIdentityPrefix = v; return this; }
        public Builder writeBufferHighWater(int v) { writeBufferHighWater = v; return this; }

        public SccOptions build() {
            return new SccOptions(maxFrameSize, alarmQueueBound, controlQueueBound, bulkQueueBound,
                    heartbeatInterval, heartbeatTimeout, handshakeTimeout, frameReadTimeout, backoffMin,
                    backoffMax, requestTimeout, serverIdentityPrefix, writeBufferHighWater);
        }
    }
}
