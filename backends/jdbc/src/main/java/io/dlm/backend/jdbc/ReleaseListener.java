package io.dlm.backend.jdbc;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.WatchingLockBackend.Watch;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * PostgreSQL {@code LISTEN} on the table's channel, shared by every watch of one backend (L4).
 *
 * <p>One dedicated connection and one thread ({@code dlm-jdbc-listener-N}) serve all watches: the
 * first watch opens them, and they stay until the backend closes, so a waiter costs a map entry,
 * not a connection or a {@code LISTEN}. A release notifies the channel with the hex key of the
 * resource; the thread hands it to the watches of that key. A watch that is closed only leaves the
 * map (L5): nothing of it remains on the server.
 *
 * <p>Notifications sent while the connection is down are lost, so every watch is told "maybe
 * free" when the connection fails and again once {@code LISTEN} is back: its waiter then tries
 * again and either gets the lock or learns of the failure (and the runtime's own recheck, {@code
 * dlm.wait.recheck}, covers the time until the failure is noticed, N4). A connection that goes
 * silent is checked with a query every second, and every read on it has a network timeout of the
 * operation timeout, so a silently dead socket (a partition, a dropped NAT entry) is found within
 * a second plus the operation timeout instead of TCP's retransmission time, and {@link #close()}
 * never waits on it (C1).
 */
final class ReleaseListener implements AutoCloseable {

    /** Opens the dedicated connection, and gives it back. */
    @FunctionalInterface
    interface ConnectionFactory {
        /**
         * Opens a new connection to the lock table's database.
         *
         * @return the connection, which the listener hands to {@link #release} when done
         * @throws SQLException when the database cannot be reached
         */
        Connection open() throws SQLException;

        /**
         * Gives a connection back after {@code UNLISTEN *}: closes it, or returns it to the pool it
         * came from as it was.
         *
         * @param connection a connection from {@link #open}
         * @throws SQLException when closing fails
         */
        default void release(Connection connection) throws SQLException {
            connection.close();
        }
    }

    private static final System.Logger LOG = System.getLogger(ReleaseListener.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** How long one wait for notifications lasts; it bounds how long close waits for the thread. */
    private static final int POLL_MILLIS = 200;

    /** Silence after which the connection is checked: a dead one must be found before waiters care. */
    private static final long PING_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** setNetworkTimeout wants an executor for its abort; the drivers we know close the socket inline. */
    private static final Executor INLINE = Runnable::run;

    private static final long MAX_BACKOFF_MILLIS = 2_000;

    private final ConnectionFactory connections;
    private final String channel;
    private final Duration operationTimeout;
    private final ConcurrentHashMap<String, Set<Registration>> watches = new ConcurrentHashMap<>();
    private final Object lock = new Object();

    // Guarded by lock.
    private @Nullable Thread thread;
    private boolean listening;
    private boolean closed;
    private @Nullable Exception lastFailure;
    private @Nullable Connection current;

    ReleaseListener(ConnectionFactory connections, String channel, Duration operationTimeout) {
        this.connections = connections;
        this.channel = channel;
        this.operationTimeout = operationTimeout;
    }

    /**
     * Registers a callback for releases of one key, and returns once {@code LISTEN} is in force, so
     * that no release after this call goes unheard.
     *
     * @param keyHex the resource's key in lower-case hex
     * @param onMaybeFree called on the listener thread; must not block
     * @return the registration
     * @throws LockException {@code INTERNAL_ERROR} when {@code LISTEN} cannot be set up within the
     *     operation timeout, or the caller is interrupted meanwhile
     */
    Watch watch(String keyHex, Runnable onMaybeFree) {
        Registration registration = new Registration(keyHex, onMaybeFree);
        watches.compute(keyHex, (key, set) -> {
            Set<Registration> registrations = set == null ? new CopyOnWriteArraySet<>() : set;
            registrations.add(registration);
            return registrations;
        });
        try {
            awaitListening();
        } catch (RuntimeException e) {
            registration.close();
            throw e;
        }
        return registration;
    }

    /**
     * Tells whether some waiter of this backend watches a key, so that its attempts mark the lease.
     *
     * @param keyHex the resource's key in lower-case hex
     * @return whether a watch of it is open
     */
    boolean isWatched(String keyHex) {
        return watches.containsKey(keyHex);
    }

    /**
     * Tells whether any waiter of this backend watches a key: when none does, which is the case of
     * every uncontended acquisition, an attempt need not even spell its key in hex.
     *
     * @return whether a watch is open
     */
    boolean watchesAny() {
        return !watches.isEmpty();
    }

    /**
     * Counts registered watches, for tests of L5.
     *
     * @return the number of open watches
     */
    int watchCount() {
        return watches.values().stream().mapToInt(Set::size).sum();
    }

    private void awaitListening() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The listener of " + channel + " is closed");
            }
            if (thread == null) {
                Thread started = new Thread(this::run, "dlm-jdbc-listener-" + THREADS.incrementAndGet());
                started.setDaemon(true);
                started.start();
                thread = started;
            }
            long deadline = System.nanoTime() + operationTimeout.toNanos();
            while (!listening) {
                long left = deadline - System.nanoTime();
                if (closed || left <= 0) {
                    throw new LockException(
                            LockError.INTERNAL_ERROR,
                            "jdbc: could not LISTEN on channel " + channel + " within " + operationTimeout,
                            lastFailure);
                }
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LockException(
                            LockError.INTERNAL_ERROR, "interrupted while setting up LISTEN on " + channel, e);
                }
            }
        }
    }

    private void run() {
        long backoff = 50;
        while (!isClosed()) {
            Connection connection = null;
            boolean broken = false;
            try {
                connection = open();
                listen(connection);
                backoff = 50;
                receive(connection, connection.unwrap(PGConnection.class));
            } catch (SQLException | RuntimeException e) {
                broken = true;
                synchronized (lock) {
                    listening = false;
                    lastFailure = e;
                }
                if (!isClosed()) {
                    LOG.log(Level.DEBUG, "LISTEN on " + channel + " failed; reconnecting", e);
                    // Releases may go unheard until LISTEN is back: let every waiter look for itself.
                    wakeAll();
                }
            } finally {
                release(connection, broken);
            }
            backoff = pause(backoff);
        }
    }

    /**
     * Opens the connection with a network timeout on every read, so that no statement on it waits
     * on a silent socket for longer than the operation timeout; registered for {@link #close()}.
     */
    private Connection open() throws SQLException {
        Connection connection = connections.open();
        try {
            connection.setNetworkTimeout(
                    INLINE, (int) Math.min(Integer.MAX_VALUE, operationTimeout.toMillis() + 1_000));
        } catch (SQLFeatureNotSupportedException | UnsupportedOperationException e) {
            LOG.log(Level.DEBUG, "The listener connection has no network timeout; only pings find a dead one", e);
        }
        synchronized (lock) {
            current = connection;
            if (closed) {
                // close() ran while the connection was being opened; the loop ends after release.
                throw new SQLException("listener closed");
            }
        }
        return connection;
    }

    private void listen(Connection connection) throws SQLException {
        if (!connection.getAutoCommit()) {
            connection.setAutoCommit(true);
        }
        try (Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(SqlExecutor.timeoutSeconds(operationTimeout.toNanos()));
            // The channel is a checked table name; quoting keeps its case as pg_notify spells it.
            statement.execute("LISTEN \"" + channel + "\"");
        }
        synchronized (lock) {
            listening = true;
            lastFailure = null;
            lock.notifyAll();
        }
        // Whatever was released before LISTEN took hold was not heard.
        wakeAll();
    }

    private void receive(Connection connection, PGConnection postgres) throws SQLException {
        long lastHeard = System.nanoTime();
        while (!isClosed()) {
            PGNotification[] notifications = postgres.getNotifications(POLL_MILLIS);
            if (notifications != null && notifications.length > 0) {
                lastHeard = System.nanoTime();
                for (PGNotification notification : notifications) {
                    dispatch(notification.getParameter());
                }
            } else if (System.nanoTime() - lastHeard > PING_AFTER_NANOS) {
                try (Statement statement = connection.createStatement()) {
                    statement.setQueryTimeout(SqlExecutor.timeoutSeconds(operationTimeout.toNanos()));
                    statement.execute("SELECT 1");
                }
                lastHeard = System.nanoTime();
            }
        }
    }

    private void dispatch(String keyHex) {
        Set<Registration> registrations = watches.get(keyHex);
        if (registrations != null) {
            registrations.forEach(Registration::fire);
        }
    }

    private void wakeAll() {
        watches.values().forEach(registrations -> registrations.forEach(Registration::fire));
    }

    private long pause(long backoff) {
        synchronized (lock) {
            if (!closed) {
                try {
                    lock.wait(backoff);
                } catch (InterruptedException e) {
                    // Only close interrupts this thread's waits; the loop checks for it.
                    Thread.currentThread().interrupt();
                    closed = true;
                }
            }
        }
        return Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /**
     * Drops the subscription before the connection goes: a pooled connection that kept it would
     * collect notifications for whoever borrows it next.
     */
    private void release(@Nullable Connection connection, boolean broken) {
        if (connection == null) {
            return;
        }
        synchronized (lock) {
            current = null;
        }
        try {
            // A failed connection may be silently dead: an UNLISTEN on it would only wait for the
            // timeout, and the server drops the subscription with the session anyway.
            if (!broken && !connection.isClosed()) {
                try (Statement statement = connection.createStatement()) {
                    statement.setQueryTimeout(SqlExecutor.timeoutSeconds(operationTimeout.toNanos()));
                    statement.execute("UNLISTEN *");
                }
            }
        } catch (SQLException e) {
            // Broken: the server dropped the subscription with the session.
        }
        try {
            connections.release(connection);
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Closing the listener connection failed", e);
        }
    }

    /**
     * Stops the thread and closes the connection; the server drops the {@code LISTEN} with it.
     * A thread that does not stop within two polls is blocked on the connection (a ping on a
     * silent socket): the connection is aborted under it, so close waits at most the operation
     * timeout more (C1).
     */
    @Override
    public void close() {
        Thread running;
        synchronized (lock) {
            closed = true;
            listening = false;
            lock.notifyAll();
            running = thread;
        }
        if (running != null && running != Thread.currentThread()) {
            try {
                running.join(2L * POLL_MILLIS);
                if (running.isAlive()) {
                    abortCurrent();
                    running.join(operationTimeout.toMillis() + 1_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        watches.clear();
    }

    private void abortCurrent() {
        Connection connection;
        synchronized (lock) {
            connection = current;
        }
        if (connection == null) {
            return;
        }
        try {
            connection.abort(INLINE);
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Aborting the listener connection failed", e);
        }
    }

    /** One watch: a key and its callback. */
    private final class Registration implements Watch {
        private final String keyHex;
        private final Runnable onMaybeFree;

        Registration(String keyHex, Runnable onMaybeFree) {
            this.keyHex = keyHex;
            this.onMaybeFree = onMaybeFree;
        }

        void fire() {
            try {
                onMaybeFree.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "A release callback failed", e);
            }
        }

        @Override
        public void close() {
            watches.computeIfPresent(keyHex, (key, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }
}
