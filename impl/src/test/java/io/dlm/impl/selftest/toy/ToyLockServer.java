package io.dlm.impl.selftest.toy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * A small lock engine served over TCP on 127.0.0.1, for testing the TCK's fault tier against
 * planted faults through a real connection: a reference engine, not a product. One thread per
 * connection reads request lines and answers each in order (commands in {@link ToyLockSpace}).
 * Nothing tells waiters about releases; clients poll (L4 allows that when declared).
 *
 * <p>{@link #restart()} behaves like a durable engine's restart: connections are reset, the port
 * is bound again, and leases and the token counter survive.
 */
public final class ToyLockServer implements AutoCloseable {

    private final ToyLockSpace space;
    private final int port;
    /** Serializes restart() and close(), which wait for the accepting thread outside {@code this}. */
    private final Object lifecycle = new Object();
    /** Connections open now; guarded by {@code this}, like {@link #listener} and {@link #closed}. */
    private final Set<Socket> connections = new HashSet<>();

    private ServerSocket listener;
    private boolean closed;
    /** Guarded by {@link #lifecycle}. */
    private Thread acceptor;

    private ToyLockServer(ToyFlaw flaw, int port) {
        this.space = new ToyLockSpace(flaw);
        this.listener = listen(port);
        this.port = listener.getLocalPort();
        this.acceptor = startAccepting(listener);
    }

    /**
     * Starts an engine on a free port.
     *
     * @param flaw the bug to plant, or {@link ToyFlaw#NONE}
     * @return the running engine
     */
    public static ToyLockServer start(ToyFlaw flaw) {
        return new ToyLockServer(flaw, 0);
    }

    /**
     * Starts an engine on a given port.
     *
     * @param flaw the bug to plant, or {@link ToyFlaw#NONE}
     * @param port the port to bind on 127.0.0.1
     * @return the running engine
     */
    public static ToyLockServer start(ToyFlaw flaw, int port) {
        return new ToyLockServer(flaw, port);
    }

    /**
     * The port the engine listens on, the same across restarts.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The engine's address as {@code dlm.toy.address} takes it.
     *
     * @return {@code 127.0.0.1:port}
     */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /**
     * Restarts the engine: resets every connection, closes the listener and listens again on the
     * same port. Leases survive, and so does the token counter unless the flaw says otherwise.
     */
    public void restart() {
        synchronized (lifecycle) {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the toy engine is closed");
                }
            }
            disconnect();
            space.restarted();
            ServerSocket relistened = listen(port);
            synchronized (this) {
                listener = relistened;
            }
            acceptor = startAccepting(relistened);
        }
    }

    /** Stops the engine: resets every connection and closes the listener. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            disconnect();
        }
    }

    private void disconnect() {
        synchronized (this) {
            closeQuietly(listener);
            for (Socket connection : connections) {
                reset(connection);
            }
            connections.clear();
        }
        // The port is free only once the accepting thread has left accept(): the JDK closes the
        // descriptor there, after close() returned.
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the toy engine", e);
        }
    }

    private static ServerSocket listen(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            // Bound again at once after a restart; the reset connections leave no TIME_WAIT here anyway.
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
    }

    private Thread startAccepting(ServerSocket socket) {
        Thread thread = new Thread(() -> accept(socket), "toy-lock-server-accept-" + port);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void accept(ServerSocket socket) {
        while (true) {
            Socket connection;
            try {
                connection = socket.accept();
            } catch (IOException e) {
                return; // the listener was closed by restart() or close()
            }
            synchronized (this) {
                // Accepted just before a restart or close swept the connections: it must not survive it.
                if (socket.isClosed() || closed) {
                    reset(connection);
                    return;
                }
                connections.add(connection);
            }
            Thread handler = new Thread(() -> serve(connection), "toy-lock-server-connection-" + port);
            handler.setDaemon(true);
            handler.start();
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            connection.setTcpNoDelay(true);
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = connection.getOutputStream();
            for (String request = in.readLine(); request != null; request = in.readLine()) {
                out.write((space.answer(request) + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException e) {
            // Reset by the client, or by restart() or close(): nobody is left to answer.
        } finally {
            synchronized (this) {
                connections.remove(connection);
            }
        }
    }

    /** Closes with a TCP reset rather than a FIN, like an engine process that died. */
    private static void reset(Socket connection) {
        try {
            connection.setSoLinger(true, 0);
        } catch (IOException e) {
            // Already closed: nothing to reset.
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // Closing for good; there is nothing to do about a failure.
        }
    }
}
