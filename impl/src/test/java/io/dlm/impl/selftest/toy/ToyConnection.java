package io.dlm.impl.selftest.toy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One client connection to a {@link ToyLockServer}: a request line out, a reply line back, every
 * step bounded by the caller's deadline. Not thread-safe: one caller at a time, handed out by the
 * backend's pool. A call that failed leaves the connection unusable (its reply may still come).
 */
final class ToyConnection implements AutoCloseable {

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buffer = new byte[256];

    private ToyConnection(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = channel.socket().getInputStream();
        this.out = channel.socket().getOutputStream();
    }

    /** Connects, within the deadline. */
    static ToyConnection open(InetSocketAddress address, long deadlineNanos) throws IOException {
        boolean interrupted = Thread.interrupted(); // as in call()
        try {
            return connect(address, deadlineNanos);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ToyConnection connect(InetSocketAddress address, long deadlineNanos) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.socket().setTcpNoDelay(true);
            channel.socket().connect(address, millisUntil(deadlineNanos));
            return new ToyConnection(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Sends one request and reads its reply, the line without its newline. An interrupt status set
     * before the call does not cut it short: the request's outcome would be unknown (X5), and a
     * close from an interrupted thread would release nothing (C1). A socket channel closes itself
     * on an interrupt, so the status is cleared for the call and set again after it.
     */
    String call(String request, long deadlineNanos) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return exchange(request, deadlineNanos);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String exchange(String request, long deadlineNanos) throws IOException {
        out.write((request + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder reply = new StringBuilder();
        while (true) {
            // Replies never run ahead of requests, so whatever arrives belongs to this one.
            channel.socket().setSoTimeout(millisUntil(deadlineNanos));
            int read = in.read(buffer);
            if (read < 0) {
                throw new EOFException("the toy engine closed the connection");
            }
            reply.append(new String(buffer, 0, read, StandardCharsets.US_ASCII));
            int end = reply.length() - 1;
            if (reply.charAt(end) == '\n') {
                return reply.substring(0, end);
            }
        }
    }

    /**
     * Whether the engine closed or reset this idle connection (a restart does): a look without
     * waiting, so a pooled connection is not used only to fail a request it never sent.
     */
    boolean isClosedByPeer() {
        try {
            channel.configureBlocking(false);
            try {
                return channel.read(ByteBuffer.allocate(1)) != 0;
            } finally {
                channel.configureBlocking(true);
            }
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Discarded either way.
        }
    }

    private static int millisUntil(long deadlineNanos) throws SocketTimeoutException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("the operation timeout ran out");
        }
        // Rounded up: a zero would mean "no timeout" to the socket.
        return (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
    }
}
