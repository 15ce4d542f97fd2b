package io.dlm.tck.fault;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A TCP proxy put between a client and its engine that injects the network faults of the TCK's
 * fault tier (SPEC "Faults"): added latency, a silent partition (bytes dropped, no reset) and
 * resets, each in one direction or both.
 *
 * <p>The client connects to {@link #host()}:{@link #port()} instead of the engine; each accepted
 * connection gets its own connection to the engine. Bytes are read from each side as soon as they
 * arrive and written to the other side when their delay has passed, in the order read.
 *
 * <p>A black-holed direction stays dead for the connections it hit, even after {@link #heal()}: a
 * client must notice by its own timeouts and reconnect. Failures do not cross a black-holed
 * direction either: a client that resets its connection during a partition from the engine is not
 * seen by the engine, whose connection stays open until {@link #resetAll()} or {@link #close()}.
 * (Through the proxy the engine's TCP keep-alives are answered by the proxy's host, so only
 * {@link #resetAll()} models an engine that finally notices a dead client.)
 *
 * <p>All threads are daemon threads named {@code dlm-fault-proxy-<port>-...}; {@link #close()}
 * ends them all.
 */
public final class FaultProxy implements AutoCloseable {

    /**
     * One connection through the proxy, for a fault that hits it alone: the notification channel of
     * a waiter, say, while its other connections work.
     */
    public interface Link {
        /**
         * Silences one direction of this connection for good, without a reset.
         *
         * @param direction which bytes are dropped
         */
        void blackhole(Direction direction);

        /**
         * Lets {@code bytes} more bytes through in that direction, then drops the rest for good,
         * without a reset: a link that dies in the middle of a message.
         *
         * @param direction which bytes are cut
         * @param bytes how many still pass, zero or more
         * @throws IllegalArgumentException if {@code direction} is null or {@code bytes} negative
         */
        void cutAfter(Direction direction, long bytes);

        /** Holds both directions' bytes, in order, until {@link #release()}. */
        void hold();

        /** Delivers what {@link #hold()} kept, in order, and lets bytes flow again. */
        void release();

        /** Ends the connection with an RST to the client and to the engine; idempotent. */
        void reset();

        /**
         * Whether the client's side is still open.
         *
         * @return {@code false} once reset, failed or ended
         */
        boolean isOpen();

        /**
         * The client's end of this connection, as the proxy accepted it: which process dialled
         * can be told by its port (e.g. the members of a cluster whose peer links go through
         * proxies).
         *
         * @return the client's address and port
         */
        InetSocketAddress clientAddress();
    }

    /** Which way the bytes a fault applies to travel. */
    public enum Direction {
        /** From the client to the engine. */
        TO_ENGINE,
        /** From the engine to the client. */
        TO_CLIENT,
        /** Both of the above. */
        BOTH
    }

    private static final String HOST = "127.0.0.1";

    // Keeps due times far from the wrap-around of System.nanoTime() arithmetic; a longer delay is
    // a blackhole, which has its own method.
    private static final Duration MAX_DELAY = Duration.ofDays(1);

    private static final Duration CLOSE_JOIN_TIMEOUT = Duration.ofSeconds(10);

    private final ServerSocket listener;
    private final InetSocketAddress upstreamAddress;
    private final String threadPrefix;
    private final PendingChunks pending = new PendingChunks();
    private final AtomicLong connectionIds = new AtomicLong();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    private volatile Consumer<Link> onAccept = link -> {};
    private volatile long toEngineLatencyNanos;
    private volatile long toClientLatencyNanos;

    // Guarded by this: a connection is registered and a fault is switched on under the same monitor,
    // so every connection either is in the snapshot a fault walks or sees the fault when it registers.
    private final Set<Connection> connections = new LinkedHashSet<>();
    // Guarded by this: connections that holdExisting() holds until releaseHeld().
    private final List<Connection> held = new ArrayList<>();
    private boolean toEngineBlackholed;
    private boolean toClientBlackholed;
    private boolean closed;

    private FaultProxy(ServerSocket listener, InetSocketAddress upstreamAddress) {
        this.listener = listener;
        this.upstreamAddress = upstreamAddress;
        this.threadPrefix = "dlm-fault-proxy-" + listener.getLocalPort() + "-";
    }

    /**
     * Listens on 127.0.0.1 on a free port and forwards each accepted connection to upstream.
     *
     * @param upstreamHost the engine's host name or address
     * @param upstreamPort the engine's port, 1 to 65535
     * @return the running proxy
     * @throws IOException if no port can be opened
     * @throws IllegalArgumentException if {@code upstreamHost} is blank or {@code upstreamPort} out of range
     */
    public static FaultProxy start(String upstreamHost, int upstreamPort) throws IOException {
        if (upstreamHost == null || upstreamHost.isBlank()) {
            throw new IllegalArgumentException("upstreamHost must not be blank");
        }
        if (upstreamPort < 1 || upstreamPort > 65_535) {
            throw new IllegalArgumentException("upstreamPort must be from 1 to 65535, not " + upstreamPort);
        }
        InetSocketAddress upstream = InetSocketAddress.createUnresolved(upstreamHost, upstreamPort);
        ServerSocket listener = new ServerSocket();
        try {
            listener.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        FaultProxy proxy = new FaultProxy(listener, upstream);
        if (!proxy.startThread("accept", proxy::acceptLoop)) {
            throw new IllegalStateException("a new proxy cannot be closed yet");
        }
        return proxy;
    }

    /**
     * The address the proxy listens on.
     *
     * @return {@code "127.0.0.1"}
     */
    public String host() {
        return HOST;
    }

    /**
     * The port the proxy listens on.
     *
     * @return the listening port
     */
    public int port() {
        return listener.getLocalPort();
    }

    /**
     * Adds this delay to every chunk of bytes in that direction from now on; order is kept and bytes
     * are never lost. {@link Duration#ZERO} removes it; chunks already queued keep their due time,
     * and a later chunk never overtakes an earlier one.
     *
     * @param direction the bytes to delay
     * @param delay the delay, from zero to one day
     * @throws IllegalArgumentException if an argument is null or {@code delay} is negative or too long
     */
    public void latency(Direction direction, Duration delay) {
        requireDirection(direction);
        if (delay == null || delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException("delay must be from zero to " + MAX_DELAY + ", not " + delay);
        }
        long nanos = delay.toNanos();
        if (direction != Direction.TO_CLIENT) {
            toEngineLatencyNanos = nanos;
        }
        if (direction != Direction.TO_ENGINE) {
            toClientLatencyNanos = nanos;
        }
    }

    /**
     * Silent partition: every current connection and every connection accepted until {@link #heal()}
     * drops all bytes in that direction, forever, without RST: the connection stays open and dead,
     * like a TCP peer gone silent. Bytes already queued in that direction are dropped too, and so
     * is an end of stream or a failure of the side the dropped bytes come from. A connection
     * accepted during the partition is still connected to the engine, which sees it stay silent.
     *
     * @param direction the bytes to drop
     * @throws IllegalArgumentException if {@code direction} is null
     */
    public void blackhole(Direction direction) {
        requireDirection(direction);
        List<Connection> current;
        synchronized (this) {
            if (direction != Direction.TO_CLIENT) {
                toEngineBlackholed = true;
            }
            if (direction != Direction.TO_ENGINE) {
                toClientBlackholed = true;
            }
            current = new ArrayList<>(connections);
        }
        for (Connection connection : current) {
            connection.blackhole(direction);
        }
    }

    /**
     * Every connection open now lets {@code bytes} more bytes through in that direction and then
     * drops every later one, the end of stream included, without a reset: the link dies in the
     * middle of a message, so the engine gets the first statements of a pipelined batch and then
     * silence. Bytes already queued are still delivered. Connections opened later are not cut;
     * {@link #heal()} does not restore a cut connection.
     *
     * @param direction the bytes to cut
     * @param bytes how many still pass on each connection, zero or more
     * @throws IllegalArgumentException if {@code direction} is null or {@code bytes} negative
     */
    public void cutAfter(Direction direction, long bytes) {
        requireCut(direction, bytes);
        for (Link connection : connections()) {
            connection.cutAfter(direction, bytes);
        }
    }

    static void requireCut(Direction direction, long bytes) {
        requireDirection(direction);
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be zero or more, not " + bytes);
        }
    }

    /**
     * A partition of the connections open now that heals before TCP gives up on them: they deliver
     * nothing in either direction, but keep every byte, in order, and deliver it all on {@link
     * #releaseHeld()}; connections opened from now on pass normally. A client that gives up on a
     * held connection and opens a new one thus gets its new requests through before the old ones,
     * which reach the engine late, as retransmitted segments would.
     */
    public void holdExisting() {
        List<Connection> current;
        synchronized (this) {
            current = new ArrayList<>(connections);
            held.addAll(current);
        }
        for (Connection connection : current) {
            connection.hold();
        }
    }

    /** Ends {@link #holdExisting()}: the held connections deliver their backlog, in order, and flow again. */
    public void releaseHeld() {
        List<Connection> current;
        synchronized (this) {
            current = new ArrayList<>(held);
            held.clear();
        }
        for (Connection connection : current) {
            connection.release();
        }
    }

    /**
     * Runs {@code hook} on every connection accepted from now on, before any of its bytes is
     * forwarded, so that a fault can hit the connections of one client alone as soon as they open
     * (after {@link #blackhole} and the like have been applied to it). The hook runs on the
     * proxy's accepting thread and must be quick; it replaces any earlier hook.
     *
     * @param hook what to do with each new connection, e.g. black-hole it if a given process dialled
     * @throws IllegalArgumentException if {@code hook} is null
     */
    public void onAccept(Consumer<Link> hook) {
        if (hook == null) {
            throw new IllegalArgumentException("hook must not be null");
        }
        onAccept = hook;
    }

    /**
     * Ends the partition and latencies for NEW connections and for chunks not yet queued: new
     * connections work again. Connections that were black-holed stay dead (their bytes are gone, as
     * after a real long partition); clients must notice that themselves (timeouts) and reconnect.
     */
    public void heal() {
        synchronized (this) {
            toEngineBlackholed = false;
            toClientBlackholed = false;
        }
        toEngineLatencyNanos = 0;
        toClientLatencyNanos = 0;
    }

    /** Resets every current connection (RST to both the client and the engine: SO_LINGER 0 then close). */
    public void resetAll() {
        List<Connection> current;
        synchronized (this) {
            current = new ArrayList<>(connections);
        }
        for (Connection connection : current) {
            connection.reset();
        }
    }

    /**
     * The connections accepted and not yet removed, in the order they were accepted, for faults that
     * hit one of them alone.
     *
     * @return a snapshot
     */
    public List<Link> connections() {
        synchronized (this) {
            return List.<Link>copyOf(connections);
        }
    }

    /**
     * Number of connections currently open through the proxy: accepted, and not yet closed by the
     * proxy on the client's side (a reset, a failure, or both directions ended normally).
     *
     * @return the number of open client connections
     */
    public int openConnections() {
        List<Connection> current;
        synchronized (this) {
            current = new ArrayList<>(connections);
        }
        return (int) current.stream().filter(Connection::clientOpen).count();
    }

    /**
     * Waits until no delayed chunk is still queued in any connection: every chunk read has been
     * written to its destination or dropped.
     *
     * @param timeout how long to wait at most
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if chunks are still queued after {@code timeout}
     * @throws IllegalArgumentException if {@code timeout} is null or negative
     */
    public void awaitDrained(Duration timeout) throws InterruptedException {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, not " + timeout);
        }
        Duration bounded = timeout.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : timeout;
        if (!pending.awaitNone(bounded)) {
            throw new AssertionError("proxy " + HOST + ":" + port() + " still has " + pending.count()
                    + " delayed chunk(s) queued after " + timeout);
        }
    }

    /** Stops listening and resets every connection, then waits for the proxy's threads to end. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            listener.close();
        } catch (IOException e) {
            // The acceptor ends either way: its accept fails once the socket is released.
        }
        resetAll();
        joinThreads();
    }

    /** Pending chunks, for this package's tests. */
    long pendingChunks() {
        return pending.count();
    }

    long latencyNanos(Direction direction) {
        return direction == Direction.TO_ENGINE ? toEngineLatencyNanos : toClientLatencyNanos;
    }

    /**
     * Starts a daemon thread named with the proxy's prefix, unless the proxy is closed.
     *
     * @return whether the thread was started
     */
    synchronized boolean startThread(String name, Runnable task) {
        if (closed) {
            return false;
        }
        Thread thread = new Thread(
                () -> {
                    try {
                        task.run();
                    } finally {
                        threads.remove(Thread.currentThread());
                    }
                },
                threadPrefix + name);
        thread.setDaemon(true);
        // Registered before it starts, and under the monitor close() sets closed with: close() then
        // sees every thread it has to wait for.
        threads.add(thread);
        thread.start();
        return true;
    }

    synchronized void unregister(Connection connection) {
        connections.remove(connection);
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                // Closed by close(), or the listener failed: either way no connection can come in.
                return;
            }
            Connection connection = register(client);
            if (connection == null) {
                Connection.abort(client);
                return;
            }
            connection.start();
        }
    }

    private synchronized @Nullable Connection register(Socket client) {
        if (closed) {
            return null;
        }
        try {
            client.setTcpNoDelay(true);
        } catch (IOException e) {
            // The connection works without it, a little slower for small writes.
        }
        String name = "c" + connectionIds.incrementAndGet();
        Connection connection = new Connection(this, name, client, upstreamAddress, pending);
        if (toEngineBlackholed) {
            connection.blackhole(Direction.TO_ENGINE);
        }
        if (toClientBlackholed) {
            connection.blackhole(Direction.TO_CLIENT);
        }
        onAccept.accept(connection);
        connections.add(connection);
        return connection;
    }

    private void joinThreads() {
        long deadline = System.nanoTime() + CLOSE_JOIN_TIMEOUT.toNanos();
        for (Thread thread : new ArrayList<>(threads)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                thread.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void requireDirection(Direction direction) {
        if (direction == null) {
            throw new IllegalArgumentException("direction must not be null");
        }
    }
}
