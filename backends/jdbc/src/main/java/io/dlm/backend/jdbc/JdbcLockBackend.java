package io.dlm.backend.jdbc;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.BreakingLockBackend;
import io.dlm.spi.EnumeratingLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Renewal;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@code jdbc} backend on MariaDB and H2, and the base of {@link PostgresLockBackend}: one row
 * per lock in one table, each operation one statement through a {@link SqlExecutor} (an
 * acquisition that finds no free row may take a second, see {@link Dialect}), in the SQL of the
 * database's {@link Dialect}.
 *
 * <ul>
 *   <li>acquire inserts the row or takes over an expired one and draws the fencing token from the
 *       table's sequence under the row lock (L1, E2, F1);
 *   <li>acquire stores the runtime's attempt id in the row, and undo is one statement that ends
 *       the lease only if that attempt made it, or else marks the free row so that the attempt,
 *       if it arrives late, is refused (X5);
 *   <li>release and renew are one {@code UPDATE} each that matches the key, the client, the
 *       fencing token (unless {@link LockBackend#ANY_ACQUISITION}) and a live lease, so nobody ends
 *       or extends another client's lease or another acquisition's, nor revives an expired one
 *       (U1, U2, U4, H1-H3, K4);
 *   <li>the runtime's keep-alive renews many leases at once: the same {@code UPDATE} as a JDBC
 *       batch, one round trip on one connection (K1, N7);
 *   <li>every expiry is computed and compared by the database's clock (E3), to the microsecond,
 *       as it reads once the statement holds the row's lock: a call that waited for the row past
 *       the expiry finds the lease over (E2, U2, H2);
 *   <li>a waiter is polled by the runtime with jittered backoff, bounded by the holder's remaining
 *       lease (L4): MariaDB and H2 cannot notify; on PostgreSQL a {@link ReleaseNotifier} has the
 *       release of a watched lease wake its waiters;
 *   <li>for operators (O4), {@link #list} reads the live rows of the table, and {@link
 *       #forceRelease} ends a lease by its holder and token, as that holder's own release would.
 * </ul>
 *
 * <p>Any failure of the database is a {@link LockException} with {@code INTERNAL_ERROR} and the
 * {@link java.sql.SQLException} as cause, within {@code dlm.operation.timeout} (X1).
 *
 * <p>Not an {@link io.dlm.spi.AsyncLockBackend}: JDBC drivers only block, so the runtime renews these
 * leases on its bounded blocking pool (K1), in batches.
 */
public class JdbcLockBackend implements BatchRenewingLockBackend, EnumeratingLockBackend, BreakingLockBackend {

    private static final System.Logger LOG = System.getLogger(JdbcLockBackend.class.getName());

    /** A lease is cut to 1000 years: MariaDB's DATETIME ends in 9999, PostgreSQL's timestamps too early for more. */
    private static final long MAX_LEASE_MICROS = Duration.ofDays(365_250).toSeconds() * 1_000_000;

    private static final Duration GRANULARITY = Duration.ofNanos(1_000);

    final Dialect dialect;
    final SqlExecutor sql;
    private final Reaper reaper;
    private final AutoCloseable connections;
    private final @Nullable ReleaseNotifier notifier;
    private final HeldLocks held = new HeldLocks();
    private final int concurrentBatches;

    /**
     * Creates a backend over an opened database. Use {@link JdbcLockBackendProvider} or {@link
     * JdbcLockManagers} to get one.
     *
     * @param dialect the SQL of the database and table
     * @param sql runs the statements within the operation timeout
     * @param reaper the reaper of this backend, closed with it
     * @param connections closed last: DLM's own pool, or nothing for a DataSource of the caller's
     * @param notifier has releases of watched leases notified, on PostgreSQL; null elsewhere
     * @param concurrentBatches how many renewal batches may hold a pooled connection at once
     */
    JdbcLockBackend(
            Dialect dialect,
            SqlExecutor sql,
            Reaper reaper,
            AutoCloseable connections,
            @Nullable ReleaseNotifier notifier,
            int concurrentBatches) {
        this.concurrentBatches = concurrentBatches;
        this.dialect = dialect;
        this.sql = sql;
        this.reaper = reaper;
        this.connections = connections;
        this.notifier = notifier;
    }

    /**
     * Acquires, storing {@code attempt} in the row, in the statements of the dialect (see {@link
     * Dialect}): on PostgreSQL and MariaDB one when it takes over a kept free row and a second when
     * it must insert the row or name the holder. The lease is counted
     * by the database's clock from the moment the statement decides, which is after this call began
     * (K2).
     */
    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        LockKey key = LockKey.of(resourceId);
        byte[] client = LockKey.utf8(clientId);
        long leaseMicros = Math.min(MAX_LEASE_MICROS, leaseNanos / 1_000 + (leaseNanos % 1_000 == 0 ? 0 : 1));
        Acquisition acquisition;
        try {
            acquisition = sql.execute("lock", resourceId, (c, t) -> attempt(c, key, client, leaseMicros, attempt, t));
        } catch (RuntimeException e) {
            // The statement may have committed before the connection broke: until the runtime
            // undoes it, close() is to release it.
            held.uncertain(resourceId, clientId, attempt);
            throw e;
        }
        if (acquisition.isAcquired()) {
            held.acquired(resourceId, clientId, attempt, acquisition.fencingToken());
        }
        return acquisition;
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        return release(resourceId, clientId, fencingToken, sql.deadline());
    }

    private boolean release(String resourceId, String clientId, long fencingToken, long deadline) {
        LockKey key = LockKey.of(resourceId);
        byte[] client = LockKey.utf8(clientId);
        boolean released =
                sql.execute("unlock", resourceId, deadline, (c, t) -> dialect.release(c, key, client, fencingToken, t));
        held.ended(resourceId, clientId, fencingToken);
        return released;
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        LockKey key = LockKey.of(resourceId);
        byte[] client = LockKey.utf8(clientId);
        boolean renewed =
                sql.execute("heartbeat", resourceId, (c, t) -> dialect.renew(c, key, client, fencingToken, t));
        if (!renewed) {
            held.ended(resourceId, clientId, fencingToken);
        }
        return renewed;
    }

    /**
     * Renews every lease with the renewal statement run as one JDBC batch on one pooled connection,
     * within the operation timeout (K1, N7). The statements go in the order of their keys, so two
     * batches that run at once lock shared rows in the same order and never deadlock each other.
     * An item whose update count the driver does not tell (a bulk protocol's {@code
     * SUCCESS_NO_INFO}) is renewed again on its own within what is left of the budget: a second
     * renewal of a live lease only extends it again, and one of an ended lease is refused (H2).
     */
    @Override
    public boolean[] renewAll(List<Renewal> renewals) {
        int size = renewals.size();
        Integer[] order = new Integer[size];
        LockKey[] unsortedKeys = new LockKey[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
            unsortedKeys[i] = LockKey.of(renewals.get(i).resourceId());
        }
        Arrays.sort(order, Comparator.comparing(i -> unsortedKeys[i].hash(), Arrays::compareUnsigned));
        LockKey[] keys = new LockKey[size];
        byte[][] clients = new byte[size][];
        long[] tokens = new long[size];
        for (int at = 0; at < size; at++) {
            Renewal renewal = renewals.get(order[at]);
            keys[at] = unsortedKeys[order[at]];
            clients[at] = LockKey.utf8(renewal.clientId());
            tokens[at] = renewal.fencingToken();
        }
        long deadline = sql.deadline();
        int[] counts = sql.execute(
                "heartbeat",
                "a batch of " + size + " leases",
                deadline,
                (c, t) -> dialect.renewAll(c, keys, clients, tokens, t));
        if (counts.length != size) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "jdbc heartbeat of a batch of " + size + " leases: the driver answered " + counts.length
                            + " update counts");
        }
        boolean[] renewed = new boolean[size];
        for (int at = 0; at < size; at++) {
            int item = order[at];
            Renewal renewal = renewals.get(item);
            boolean done;
            if (counts[at] == 0 || counts[at] == 1) {
                done = counts[at] == 1;
            } else {
                int position = at;
                done = sql.execute(
                        "heartbeat",
                        renewal.resourceId(),
                        deadline,
                        (c, t) -> dialect.renew(c, keys[position], clients[position], tokens[position], t));
            }
            renewed[item] = done;
            if (!done) {
                held.ended(renewal.resourceId(), renewal.clientId(), renewal.fencingToken());
            }
        }
        return renewed;
    }

    /**
     * A few connections fewer than the pool: acquisitions and releases still get one while
     * renewal batches wait on a slow database.
     */
    @Override
    public int maxConcurrentBatches() {
        return concurrentBatches;
    }

    /**
     * Ends the lease only if {@code attempt} made it, or leaves a tombstone that refuses that
     * attempt's acquisition if it comes later, in one statement like a release (on PostgreSQL it
     * notifies waiters too), within the operation timeout; throws when the database did not
     * confirm it, and the runtime tries again (X5, N3).
     *
     * <p>The undo runs on a pooled connection, not the one the lost acquisition used (that one is
     * broken or timed out), so nothing orders the two but the row: an acquisition that still holds
     * the row's lock on the server when the undo arrives commits first, and the undo, which waits
     * for that lock, then ends it. An acquisition whose statement reaches the server only after the
     * undo finds the tombstone and is refused (see {@link Dialect}), unless it arrives after the
     * reaper deleted it (at least {@link Dialect#TOMBSTONE_KEEP} later), or the undo found a live
     * lease of another acquisition, which keeps its row, and the late statement arrives after that
     * lease ended; then its own lease ends it.
     */
    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        try {
            LockKey key = LockKey.of(resourceId);
            byte[] client = LockKey.utf8(clientId);
            sql.execute("undo", resourceId, (c, t) -> dialect.undo(c, key, client, attempt, t));
            held.undone(resourceId, clientId, attempt);
        } catch (RuntimeException e) {
            // The entry stays, so close() still releases what may be held; the runtime tries the
            // undo again, since a slow database may still apply the acquisition after this (N3).
            LOG.log(Level.DEBUG, "Could not undo attempt " + attempt + " on " + resourceId + " yet", e);
            throw e;
        }
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
     * {@inheritDoc}
     *
     * <p>One query on this backend's table; with more than {@code limit} matching leases, the ones
     * listed are those whose ids come first in the byte order of their UTF-8 encoding.
     */
    @Override
    public List<LockInfo> list(String prefix, int limit) {
        byte[] idPrefix = LockKey.utf8(prefix);
        List<Dialect.LiveLease> rows =
                sql.execute("list", "prefix '" + prefix + "'", (c, t) -> dialect.list(c, idPrefix, limit, t));
        List<LockInfo> leases = new ArrayList<>(rows.size());
        for (Dialect.LiveLease row : rows) {
            leases.add(info(new String(row.resourceId(), StandardCharsets.UTF_8), row.holder()));
        }
        leases.sort(Comparator.comparing(LockInfo::resourceId));
        return leases;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads the holder, then ends the lease with the holder's own release, by client and token
     * (U4): so the lease ended is exactly the one returned, and on PostgreSQL its waiters are
     * notified. If another acquisition took the resource in between, it reads again, within the
     * operation timeout. The fencing token's sequence is untouched, so the next acquisition draws
     * a larger one (F1).
     */
    @Override
    public Optional<LockInfo> forceRelease(String resourceId) {
        long deadline = sql.deadline();
        LockKey key = LockKey.of(resourceId);
        for (; ; ) {
            Holder holder = sql.execute("release --force", resourceId, deadline, (c, t) -> dialect.inspect(c, key, t));
            if (holder == null) {
                return Optional.empty();
            }
            boolean ended = sql.execute(
                    "release --force",
                    resourceId,
                    deadline,
                    (c, t) -> dialect.release(c, key, holder.clientId(), holder.fencingToken(), t));
            if (ended) {
                return Optional.of(info(resourceId, holder));
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "jdbc release --force of '" + resourceId + "': the lease changed hands on every try within the"
                                + " operation timeout");
            }
        }
    }

    private static LockInfo info(String resourceId, Holder holder) {
        return new LockInfo(
                resourceId,
                new String(holder.clientId(), StandardCharsets.UTF_8),
                holder.fencingToken(),
                Duration.ofNanos(holder.remainingNanos()));
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
                release(lock.resourceId(), lock.clientId(), lock.fencingToken(), deadline);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "Could not release " + lock + " while closing; it expires by its lease", e);
            }
        }
        if (notifier != null) {
            // Stop listening before the pool goes.
            notifier.close();
        }
        try {
            connections.close();
        } catch (Exception e) {
            LOG.log(
                    Level.WARNING,
                    "Closing the connection pool of " + dialect.table().name() + " failed",
                    e);
        }
    }

    /**
     * One acquisition attempt on a connection. When another client's lease refuses it and a waiter
     * of this backend watches the resource, it marks that lease as waited for, so that its release
     * notifies (L4).
     *
     * @return the outcome; {@code held(1 ns)}, "try again now", when the resource was free again
     *     after a refusal, or the refusing lease ended before it could be marked
     * @throws SQLException on any failure of the database
     */
    private Acquisition attempt(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        ReleaseNotifier marking = notifier != null && notifier.isWatched(key) ? notifier : null;
        Holder holder = dialect.acquire(connection, key, clientId, leaseMicros, attempt, budget);
        if (holder == null) {
            return Acquisition.held(1);
        }
        Acquisition outcome = holder.outcome(clientId);
        return marking != null && outcome.status() == Acquisition.Status.HELD
                ? marking.mark(connection, key, holder, outcome, budget)
                : outcome;
    }

    /**
     * The database this backend runs on, for tests and diagnostics.
     *
     * @return {@code postgresql}, {@code mariadb} or {@code h2}
     */
    public String dialect() {
        return dialect.kind().id();
    }
}
