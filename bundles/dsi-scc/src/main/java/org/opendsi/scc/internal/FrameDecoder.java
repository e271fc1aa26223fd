package org.opendsi.scc.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Splits the decrypted stream into frames: 4-byte big-endian length, then that many bytes.
 * A length of 0 or above the maximum is a protocol violation (exception -> connection closed);
 * a frame whose first byte arrived more than {@code frameTimeoutNanos} ago and is still incomplete
 * closes the connection too (slow or stalled sender). Emits {@code byte[]} frame bodies.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    static final class FrameTimeoutException extends CorruptedFrameException {
        private static final long serialVersionUID = 1L;

        FrameTimeoutException(String m) {
            super(m);
        }
    }

    private final int maxFrameSize;
    private final long frameTimeoutNanos;
    private long partialSince = -1;
    private ScheduledFuture<?> timer;

    FrameDecoder(int maxFrameSize, long frameTimeoutNanos) {
        this.maxFrameSize = maxFrameSize;
        this.frameTimeoutNanos = frameTimeoutNanos;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 4) {
            long len = in.getUnsignedInt(in.readerIndex());
            if (len == 0 || len > maxFrameSize) {
                in.skipBytes(in.readableBytes());
                throw new TooLongFrameException("frame length " + len + " outside 1.." + maxFrameSize);
            }
            if (in.readableBytes() < 4 + len) {
                break;
            }
            in.skipBytes(4);
            byte[] body = new byte[(int) len];
            in.readBytes(body);
            out.add(body);
        }
        if (in.isReadable()) {
            if (partialSince < 0) {
                partialSince = System.nanoTime();
                armTimer(ctx);
            }
        } else {
            partialSince = -1;
        }
    }

    private void armTimer(ChannelHandlerContext ctx) {
        if (timer != null) {
            return;
        }
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), frameTimeoutNanos / 4);
        timer = ctx.executor().scheduleAtFixedRate(() -> {
            if (partialSince >= 0 && System.nanoTime() - partialSince > frameTimeoutNanos) {
                timer.cancel(false);
                ctx.fireExceptionCaught(new FrameTimeoutException("incomplete frame for more than "
                        + TimeUnit.NANOSECONDS.toMillis(frameTimeoutNanos) + " ms"));
            }
        }, period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timer != null) {
            timer.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
