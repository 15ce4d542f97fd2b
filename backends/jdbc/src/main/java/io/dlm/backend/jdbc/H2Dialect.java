package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

/**
 * H2 2.x: {@code MERGE INTO ... USING ... WHEN MATCHED AND expired THEN UPDATE ... WHEN NOT
 * MATCHED THEN INSERT}, read back through {@code FINAL TABLE}: a row comes back exactly when the
 * statement inserted or took over. H2 locks the matched row and checks the condition again on the
 * version it locked, so two takeovers of one expired row cannot both win. Two inserts of a new row
 * race to the primary key; the loser fails with a duplicate key and runs again (see
 * {@link #isTransient}), when it finds the row.
 *
 * <p>Times are {@code TIMESTAMP WITH TIME ZONE} against {@code CURRENT_TIMESTAMP(6)}. H2 has no
 * clock that moves within a statement: {@code CURRENT_TIMESTAMP} is the start of the first
 * statement of the transaction that reads it (of each statement, in some compatibility modes). A
 * statement that waits for a row lock would thus judge expiry by a time from before the wait, and
 * an unlock report a release after the expiry (U2), a heartbeat revive the lease (H2), an
 * acquisition be refused by a lease that had ended (E2). So acquire, release, undo and renew run in
 * a transaction that first locks the row with a {@code SELECT ... FOR UPDATE} that reads no time;
 * the statement after it reads the clock first, at its own start, when the lock is held. Inspect
 * waits for no lock and the reaper at worst deletes a row later, so they stay single statements.
 * In an embedded database the two statements cost no network round trip; over H2's TCP server,
 * three (lock, statement, commit).
 */
final class H2Dialect extends Dialect {

    private static final String NOW = "CURRENT_TIMESTAMP(6)";

    private final String acquire = sql("SELECT fencing_token FROM FINAL TABLE (MERGE INTO {table} AS l USING"
            + " (VALUES (CAST(? AS BINARY(32)), CAST(? AS VARBINARY(3072)), CAST(? AS VARBINARY(3072)),"
            + " CAST(? AS BIGINT), CAST(? AS BIGINT))) AS s (lock_key, resource_id, client_id, lease_micros,"
            + " attempt_id)"
            + " ON l.lock_key = s.lock_key"
            + " WHEN MATCHED AND l.expires_at <= " + NOW + " AND (l.attempt_id IS DISTINCT FROM s.attempt_id"
            + " OR l.client_id <> s.client_id) THEN UPDATE SET client_id = s.client_id,"
            + " fencing_token = NEXT VALUE FOR {sequence}, attempt_id = s.attempt_id, lease_micros = s.lease_micros,"
            + " expires_at = DATEADD(MICROSECOND, s.lease_micros, " + NOW + ")"
            + " WHEN NOT MATCHED THEN INSERT (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at, reap_from) VALUES (s.lock_key, s.resource_id, s.client_id,"
            + " NEXT VALUE FOR {sequence}, s.attempt_id, s.lease_micros,"
            + " DATEADD(MICROSECOND, s.lease_micros, " + NOW + "), " + NOW + "))");

    // The cast types the parameter as the token is typed; H2 would take it as 0's INTEGER.
    private static final String TOKEN = "(CAST(? AS BIGINT) = 0 OR fencing_token = ?)";

    // reap_from is left as it is unless the reaper moved it past now (see Dialect).
    private final String release = sql("UPDATE {table} SET expires_at = " + NOW + ", reap_from = LEAST(reap_from, "
            + NOW + ") WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW);

    /*
     * Ends this attempt's lease or turns the free row into its tombstone, or inserts the tombstone;
     * a live lease of another acquisition is not matched. Run after the row lock; two inserts race
     * to the primary key as the acquisition's do.
     */
    private final String undo = sql("MERGE INTO {table} AS l USING (VALUES (CAST(? AS BINARY(32)),"
            + " CAST(? AS VARBINARY(3072)), CAST(? AS VARBINARY(3072)), CAST(? AS BIGINT)))"
            + " AS s (lock_key, resource_id, client_id, attempt_id) ON l.lock_key = s.lock_key"
            + " WHEN MATCHED AND (l.expires_at <= " + NOW + " OR (l.client_id = s.client_id"
            + " AND l.attempt_id = s.attempt_id)) THEN UPDATE SET client_id = s.client_id,"
            + " attempt_id = s.attempt_id, lease_micros = " + TOMBSTONE_LEASE + ", expires_at = " + NOW + ","
            + " reap_from = LEAST(l.reap_from, " + NOW + ")"
            + " WHEN NOT MATCHED THEN INSERT (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at, reap_from) VALUES (s.lock_key, s.resource_id, s.client_id, 0, s.attempt_id, "
            + TOMBSTONE_LEASE + ", " + NOW + ", " + NOW + ")");

    private final String renew = sql("UPDATE {table} SET expires_at = DATEADD(MICROSECOND, lease_micros, " + NOW
            + ") WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW);

    private final String inspect = sql("SELECT client_id, fencing_token, DATEDIFF(MICROSECOND, " + NOW
            + ", expires_at) FROM {table} WHERE lock_key = ? AND expires_at > " + NOW);

    private final String list = sql("SELECT resource_id, client_id, fencing_token, DATEDIFF(MICROSECOND, " + NOW
            + ", expires_at) FROM {table} WHERE expires_at > " + NOW + " AND SUBSTRING(resource_id FROM 1 FOR ?) = ?"
            + " ORDER BY resource_id FETCH FIRST ? ROWS ONLY");

    /** Rows whose mark is older than the retention (parameter 1). */
    private static final String DUE = " reap_from < DATEADD(MICROSECOND, -CAST(? AS BIGINT), " + NOW + ")";

    /** A row whose lease ended a retention ago (parameter 1), or a tombstone its keep ago (2). */
    private static final String GONE = "expires_at < DATEADD(MICROSECOND, -CAST(? AS BIGINT), " + NOW + ")"
            + " AND (lease_micros <> " + TOMBSTONE_LEASE + " OR expires_at < DATEADD(MICROSECOND, -CAST(? AS BIGINT), "
            + NOW + "))";

    // The reaper's statements, as MariaDB's (see Dialect.reapByKeys).
    private final ReapStatements reap = new ReapStatements(
            sql("SELECT lock_key FROM {table} WHERE" + DUE + " ORDER BY reap_from FETCH FIRST ? ROWS ONLY"),
            sql("DELETE FROM {table} WHERE lock_key IN " + keyList() + " AND " + GONE),
            sql("UPDATE {table} SET reap_from = CASE WHEN lease_micros = " + TOMBSTONE_LEASE
                    + " THEN DATEADD(MICROSECOND, CAST(? AS BIGINT), expires_at) ELSE expires_at END"
                    + " WHERE lock_key IN " + keyList() + " AND" + DUE + " AND NOT (" + GONE + ")"));

    /** Locks the row of a key, if there is one, and reads no time. */
    private final String lockRow = sql("SELECT lock_key FROM {table} WHERE lock_key = ? FOR UPDATE");

    H2Dialect(TableName table) {
        super(table);
    }

    @Override
    Kind kind() {
        return Kind.H2;
    }

    @Override
    Acquisition acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        return afterRowLock(connection, key, budget, () -> {
            try (PreparedStatement statement = connection.prepareStatement(acquire)) {
                budget.bound(statement);
                statement.setBytes(1, key.hash());
                statement.setBytes(2, key.id());
                statement.setBytes(3, clientId);
                statement.setLong(4, leaseMicros);
                statement.setLong(5, attempt);
                try (ResultSet row = statement.executeQuery()) {
                    if (row.next()) {
                        return Acquisition.acquired(row.getLong(1));
                    }
                }
            }
            Holder holder = inspect(connection, key, budget);
            // A row made after the lock step and already gone: "held" for a moment; the runtime tries again.
            return holder != null ? holder.refuse(clientId) : Acquisition.held(1);
        });
    }

    @Override
    boolean endLease(
            Connection connection, String sql, LockKey key, byte[] clientId, StatementBudget budget, long... conditions)
            throws SQLException {
        return afterRowLock(
                connection, key, budget, () -> super.endLease(connection, sql, key, clientId, budget, conditions));
    }

    @Override
    boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException {
        return afterRowLock(connection, key, budget, () -> {
            try (PreparedStatement statement = connection.prepareStatement(undo)) {
                budget.bound(statement);
                statement.setBytes(1, key.hash());
                statement.setBytes(2, key.id());
                statement.setBytes(3, clientId);
                statement.setLong(4, attempt);
                return statement.executeUpdate() == 1;
            }
        });
    }

    @Override
    boolean renew(Connection connection, LockKey key, byte[] clientId, long fencingToken, StatementBudget budget)
            throws SQLException {
        return afterRowLock(
                connection, key, budget, () -> super.renew(connection, key, clientId, fencingToken, budget));
    }

    /**
     * One locked renewal per lease rather than one batch: H2 reads its clock once per statement,
     * so each renewal must lock its row before the statement that judges the expiry ({@link
     * #renew}). H2 runs in the same process, so there is no round trip to save.
     */
    @Override
    int[] renewAll(
            Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, StatementBudget budget)
            throws SQLException {
        int[] counts = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            counts[i] = renew(connection, keys[i], clientIds[i], fencingTokens[i], budget) ? 1 : 0;
        }
        return counts;
    }

    /** The statements that run once the row is locked. */
    @FunctionalInterface
    private interface UnderLock<T> {
        T run() throws SQLException;
    }

    /**
     * Locks the key's row, then runs {@code then} in the same transaction, whose first reading of
     * {@code CURRENT_TIMESTAMP} is then the start of a statement that began with the lock held. An
     * auto-commit connection gets a transaction of its own here; one handed out with auto-commit
     * off is committed by {@link SqlExecutor} after the operation.
     */
    private <T> T afterRowLock(Connection connection, LockKey key, StatementBudget budget, UnderLock<T> then)
            throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        if (autoCommit) {
            connection.setAutoCommit(false);
        }
        try {
            try (PreparedStatement lock = connection.prepareStatement(lockRow)) {
                budget.bound(lock);
                lock.setBytes(1, key.hash());
                lock.executeQuery().close();
            }
            T result = then.run();
            if (autoCommit) {
                connection.commit();
            }
            return result;
        } catch (SQLException | RuntimeException e) {
            if (autoCommit) {
                try {
                    connection.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            throw e;
        } finally {
            if (autoCommit) {
                connection.setAutoCommit(true);
            }
        }
    }

    @Override
    String checkSql() {
        return sql("SELECT NEXT VALUE FOR {sequence}, attempt_id, reap_from FROM {table} WHERE 1 = 0");
    }

    @Override
    String indexSql() {
        return "SELECT 1 FROM INFORMATION_SCHEMA.INDEXES WHERE INDEX_SCHEMA = COALESCE(UPPER(?), SCHEMA())"
                + " AND TABLE_NAME = UPPER(?) AND INDEX_NAME = UPPER(?)";
    }

    @Override
    String dropLegacyIndexSql() {
        String schema = tableSchema();
        return "DROP INDEX " + (schema == null ? "" : schema + ".") + table.expiryIndex();
    }

    @Override
    boolean isTransient(SQLException e) {
        // 23505: lost the race to insert a new row; HYT00: lock wait timed out.
        String state = e.getSQLState();
        return super.isTransient(e) || "23505".equals(state) || "HYT00".equals(state);
    }

    @Override
    Map<String, String> schemaNames() {
        // H2 places an index in the schema its name gives, which must be the table's.
        int dot = table.name().indexOf('.');
        String index = dot < 0 ? table.reapIndex() : table.name().substring(0, dot + 1) + table.reapIndex();
        return Map.of("table", table.name(), "sequence", table.sequence(), "index", index);
    }

    @Override
    String releaseSql() {
        return release;
    }

    @Override
    String renewSql() {
        return renew;
    }

    @Override
    String inspectSql() {
        return inspect;
    }

    @Override
    String listSql() {
        return list;
    }

    @Override
    Reaped reap(Connection connection, long retentionMicros, StatementBudget budget) throws SQLException {
        return reapByKeys(connection, reap, retentionMicros, budget);
    }
}
