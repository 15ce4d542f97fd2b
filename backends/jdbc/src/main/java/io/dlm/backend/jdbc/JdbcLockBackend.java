package io.dlm.backend.jdbc;

import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.LockBackend;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code jdbc} backend on MariaDB and H2, and the base of {@link PostgresLockBackend}: one row
 * per lock in one table, each operation one statement through a {@link SqlExecutor}.
 *
 * <ul>
 *   <li>acquire inserts the row or takes over an expired one and draws the fencing token from the
 *       table's sequence under the row lock (L1, E2, F1);
 *   <li>release and renew are one {@code UPDATE} each that matches the key, the client and a live
 *       lease, so nobody ends or extends another client's lease, nor revives an expired one (U1,
 *       U2, U4, H1-H3);
 *   <li>every expiry is computed and compared by the database's clock (E3), to the microsecond;
 *   <li>a waiter is polled by the runtime with jittered backoff, bounded by the holder's remaining
 *       lease (L4): MariaDB and H2 cannot notify.
 * </ul>
 *
 * <p>Any failure of the database is a {@link LockException} with {@code INTERNAL_ERROR} and the
 * {@link java.sql.SQLException} as cause, within {@code dlm.operation.timeout} (X1).
 */
public class JdbcLockBackend implements LockBackend {

    private static final System.Logger LOG = System.getLogger(JdbcLockBackend.class.getName());

    /** A lease is cut to 1000 years: MariaDB's DATETIME ends in 9999, PostgreSQL's timestamps too early for more. */
    private static final long MAX_LEASE_MICROS = Duration.ofDays(365_250).toSeconds() * 1_000_000;

    private static final Duration GRANULARITY = Duration.ofNanos(1_000);

    final Dialect dialect;
    final SqlExecutor sql;
    private final Reaper reaper;
    private final AutoCloseable connections;
    private final HeldLocks held = new HeldLocks();

    /**
     * Creates a backend over an opened database. Use {@link JdbcLockBackendProvider} or {@link
     * JdbcLockManagers} to get one.
     *
     * @param dialect the SQL of the database and table
     * @param sql runs the statements within the operation timeout
     * @param reaper the reaper of this backend, closed with it
     * @param connections closed last: DLM's own pool, or nothing for a DataSource of the caller's
     */
    JdbcLockBackend(Dialect dialect, SqlExecutor sql, Reaper reaper, AutoCloseable connections) {
        this.dialect = dialect;
        this.sql = sql;
        this.reaper = reaper;
        this.connections = connections;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos) {
        LockKey key = LockKey.of(resourceId);
        byte[] client = LockKey.utf8(clientId);
        long leaseMicros = Math.min(MAX_LEASE_MICROS, leaseNanos / 1_000 + (leaseNanos % 1_000 == 0 ? 0 : 1));
        Acquisition acquisition;
        try {
            acquisition = sql.execute("lock", resourceId, (c, t) -> attempt(c, key, client, leaseMicros, t));
        } catch (RuntimeException e) {
            // The statement may have committed before the connection broke: let close() release it.
            held.add(resourceId, clientId);
            throw e;
        }
        if (acquisition.isAcquired()) {
            held.add(resourceId, clientId);
        }
        return acquisition;
    }

    @Override
    public boolean release(String resourceId, String clientId) {
        return release(resourceId, clientId, sql.deadline());
    }

    private boolean release(String resourceId, String clientId, long deadline) {
        LockKey key = LockKey.of(resourceId);
        byte[] client = LockKey.utf8(clientId);
        boolean released = sql.execute("unlock", resourceId, deadline, (c, t) -> dialect.release(c, key, client, t));
        held.remove(resourceId, clientId);
        return released;
    }

    @Override
    public boolean renew(String resourceId, String clientId) {
        LockKey key = LockKey.of(resourceId);
        byte[] client = LockKey.utf8(clientId);
        boolean renewed = sql.execute("heartbeat", resourceId, (c, t) -> dialect.renew(c, key, client, t));
        if (!renewed) {
            held.remove(resourceId, clientId);
        }
        return renewed;
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        LockKey key = LockKey.of(resourceId);
        Holder holder = sql.execute("inspect", resourceId, (c, t) -> dialect.inspect(c, key, t));
        if (holder == null) {
            return Optional.empty();
        }
        return Optional.of(new LockInfo(
                resourceId,
                new String(holder.clientId(), StandardCharsets.UTF_8),
                holder.fencingToken(),
                Duration.ofNanos(holder.remainingNanos())));
    }

    /**
     * Leases are kept to the microsecond, the resolution of the databases' timestamps.
     *
     * @return one microsecond
     */
    @Override
    public Duration leaseGranularity() {
        return GRANULARITY;
    }

    /**
     * Stops the reaper, releases the locks acquired through this instance within the operation
     * timeout (what is left expires by its lease), then closes DLM's own pool, if it made one; a
     * DataSource of the caller's stays open (C1).
     */
    @Override
    public void close() {
        reaper.close();
        long deadline = sql.deadline();
        for (HeldLocks.Held lock : held.drain()) {
            if (System.nanoTime() - deadline >= 0) {
                break;
            }
            try {
                release(lock.resourceId(), lock.clientId(), deadline);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "Could not release " + lock + " while closing; it expires by its lease", e);
            }
        }
        closeListeners();
        try {
            connections.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "Closing the connection pool of " + dialect.table.name() + " failed", e);
        }
    }

    /**
     * One acquisition attempt on a connection; the PostgreSQL backend adds its waiter mark.
     *
     * @throws SQLException on any failure of the database
     */
    Acquisition attempt(Connection connection, LockKey key, byte[] clientId, long leaseMicros, int timeoutSeconds)
            throws SQLException {
        return dialect.acquire(connection, key, clientId, leaseMicros, timeoutSeconds);
    }

    /** Hook for the PostgreSQL backend: stop listening before the pool goes. */
    void closeListeners() {}

    /**
     * The database this backend runs on, for tests and diagnostics.
     *
     * @return {@code postgresql}, {@code mariadb} or {@code h2}
     */
    public String dialect() {
        return dialect.kind().id();
    }
}
