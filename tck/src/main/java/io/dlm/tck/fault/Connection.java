package io.dlm.tck.fault;

import io.dlm.tck.TckTimings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * One client connection through a {@link FaultProxy} and its own connection to the engine, with a
 * {@link Pipe} for each direction. It ends normally once both directions have delivered their end
 * of stream, and abruptly (RST both ways) on a reset or on an error the partition does not hide.
 */
final class Connection implements FaultProxy.Link {

    private static final int CONNECT_TIMEOUT_MILLIS =
            (int) Math.min(Integer.MAX_VALUE, TckTimings.scaledMillis(10_000).toMillis());

    private final FaultProxy proxy;
    private final String name;
    private final Socket client;
    private final Socket upstream = new Socket();
    private final InetSocketAddress upstreamAddress;
    private final Pipe toEngine;
    private final Pipe toClient;

    // Guarded by this.
    private boolean ended;
    private boolean clientClosed;
    private boolean upstreamClosed;
    private boolean toEngineFinished;
    private boolean toClientFinished;

    Connection(FaultProxy proxy, String name, Socket client, InetSocketAddress upstreamAddress, PendingChunks pending) {
        this.proxy = proxy;
        this.name = name;
        this.client = client;
        this.upstreamAddress = upstreamAddress;
        this.toEngine =
                new Pipe(client, upstream, () -> proxy.latencyNanos(FaultProxy.Direction.TO_ENGINE), pending, this);
        this.toClient =
                new Pipe(upstream, client, () -> proxy.latencyNanos(FaultProxy.Direction.TO_CLIENT), pending, this);
    }

    /** Connects to the engine on a thread of its own, then starts both directions. */
    void start() {
        if (!proxy.startThread(name + "-connect", this::connectAndForward)) {
            reset();
        }
    }

    @Override
    public void hold() {
        toEngine.hold();
        toClient.hold();
    }

    @Override
    public void release() {
        toEngine.release();
        toClient.release();
    }

    @Override
    public boolean isOpen() {
        return clientOpen();
    }

    @Override
    public void blackhole(FaultProxy.Direction direction) {
        if (direction != FaultProxy.Direction.TO_CLIENT) {
            toEngine.blackhole();
        }
        if (direction != FaultProxy.Direction.TO_ENGINE) {
            toClient.blackhole();
        }
    }

    @Override
    public void cutAfter(FaultProxy.Direction direction, long bytes) {
        FaultProxy.requireCut(direction, bytes);
        if (direction != FaultProxy.Direction.TO_CLIENT) {
            toEngine.cutAfter(bytes);
        }
        if (direction != FaultProxy.Direction.TO_ENGINE) {
            toClient.cutAfter(bytes);
        }
    }

    @Override
    public InetSocketAddress clientAddress() {
        return (InetSocketAddress) client.getRemoteSocketAddress();
    }

    /** Whether the proxy still holds its side of the client's connection open. */
    synchronized boolean clientOpen() {
        return !clientClosed;
    }

    @Override
    public void reset() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            clientClosed = true;
            upstreamClosed = true;
        }
        toEngine.stop();
        toClient.stop();
        abort(client);
        abort(upstream);
        proxy.unregister(this);
    }

    /**
     * Called when reading from or writing to {@code side} failed. The failure is news that travels
     * like bytes: it reaches the other side as a reset, unless the direction from the failed side
     * is black-holed or cut, in which case the other side is left open and uninformed, as a
     * partition would leave it (an engine must not see its client's session end while partitioned
     * from it).
     */
    void broken(Socket side) {
        boolean fromClient = side == client;
        Pipe from = fromClient ? toEngine : toClient;
        Pipe to = fromClient ? toClient : toEngine;
        if (!from.isSilenced()) {
            reset();
            return;
        }
        boolean bothClosed;
        synchronized (this) {
            if (ended) {
                return;
            }
            if (fromClient) {
                clientClosed = true;
            } else {
                upstreamClosed = true;
            }
            bothClosed = clientClosed && upstreamClosed;
            ended = bothClosed;
        }
        to.stop();
        abort(side);
        if (bothClosed) {
            from.stop();
            proxy.unregister(this);
        }
    }

    /** Called when a pipe has delivered its end of stream; closes both sockets once both have. */
    void finished(Pipe pipe) {
        synchronized (this) {
            if (pipe == toEngine) {
                toEngineFinished = true;
            } else {
                toClientFinished = true;
            }
            if (ended || !(toEngineFinished && toClientFinished)) {
                return;
            }
            ended = true;
            clientClosed = true;
            upstreamClosed = true;
        }
        closeQuietly(client);
        closeQuietly(upstream);
        proxy.unregister(this);
    }

    private void connectAndForward() {
        try {
            // Resolved for every connection, so an engine whose address changes is still found.
            InetSocketAddress resolved =
                    new InetSocketAddress(upstreamAddress.getHostString(), upstreamAddress.getPort());
            upstream.connect(resolved, CONNECT_TIMEOUT_MILLIS);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            // The client learns at once that the engine cannot be reached, as it would without us.
            reset();
            return;
        }
        boolean started = proxy.startThread(name + "-to-engine-read", toEngine::read)
                && proxy.startThread(name + "-to-engine-write", toEngine::write)
                && proxy.startThread(name + "-to-client-read", toClient::read)
                && proxy.startThread(name + "-to-client-write", toClient::write);
        if (!started) {
            reset();
        }
    }

    /** Closes with an RST rather than a FIN: SO_LINGER 0 makes close discard and reset. */
    static void abort(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // Not connected or already closed: there is nothing to reset, closing is enough.
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // The socket is released either way; there is no one to report this to.
        }
    }
}
