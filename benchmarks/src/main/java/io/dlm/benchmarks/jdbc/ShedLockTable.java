package io.dlm.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbc.JdbcLockProvider;

/**
 * ShedLock's plain JDBC provider ({@code shedlock-provider-jdbc}), lock then unlock with {@code
 * lockAtMostFor} 30 s and {@code lockAtLeastFor} zero: an update of the existing row each, with
 * expiry computed from the client's clock and no fencing token. It never waits: a lock tries once
 * whatever the timeout. Client ids are ignored; the handle a lock returns is what unlocks it.
 */
final class ShedLockTable implements LockTable {

    private final HikariDataSource pool;
    private final JdbcLockProvider provider;
    private final Map<String, SimpleLock> held = new ConcurrentHashMap<>();

    ShedLockTable(BenchDatabase database, String table) {
        // ShedLock's documented schemas for PostgreSQL and for MySQL (milliseconds: its clock's).
        database.execute(
                database.isMariaDb()
                        ? "CREATE TABLE IF NOT EXISTS " + table + " (name VARCHAR(64) NOT NULL, lock_until"
                                + " TIMESTAMP(3) NOT NULL, locked_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
                                + " locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name))"
                        : "CREATE TABLE IF NOT EXISTS " + table + " (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP"
                                + " NOT NULL, locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL,"
                                + " PRIMARY KEY (name))");
        pool = database.pool();
        provider = new JdbcLockProvider(pool, table);
    }

    @Override
    public boolean waits() {
        return false;
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        Optional<SimpleLock> lock =
                provider.lock(new LockConfiguration(Instant.now(), resourceId, Engine.LEASE, Duration.ZERO));
        if (lock.isEmpty()) {
            return false;
        }
        held.put(resourceId, lock.get());
        return true;
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        SimpleLock lock = held.remove(resourceId);
        if (lock != null) {
            lock.unlock();
        }
        return lock != null;
    }

    @Override
    public void close() {
        pool.close();
    }
}
