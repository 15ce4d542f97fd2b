package io.dlm.backend.jdbc;

import io.dlm.LockError;
import io.dlm.LockException;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * Opens a backend over a DataSource: finds the dialect, creates the table if asked to, checks that
 * table and sequence are there, and picks the class that matches the database's capabilities.
 */
final class JdbcBackends {

    private static final System.Logger LOG = System.getLogger(JdbcBackends.class.getName());

    private JdbcBackends() {}

    /**
     * Opens a backend.
     *
     * @param settings the checked settings
     * @param dataSource where statements get their connections
     * @param owned closed with the backend (DLM's own pool), or a no-op for a DataSource of others
     * @param listenerConnections opens the PostgreSQL listener's dedicated connection
     * @param serverBoundsStatements whether {@code dataSource} is DLM's own pool, whose connections
     *     have the server end every statement after the operation timeout (see {@link
     *     Connections#serverBoundsStatements}); on PostgreSQL its statements then get no query
     *     timeout of the driver's
     * @return a {@link PostgresLockBackend} on PostgreSQL, else a {@link JdbcLockBackend}
     * @throws LockException {@code INTERNAL_ERROR} when the database cannot be reached or lacks the
     *     table; {@code owned} is closed then
     */
    static JdbcLockBackend open(
            JdbcSettings settings,
            DataSource dataSource,
            AutoCloseable owned,
            ReleaseListener.ConnectionFactory listenerConnections,
            boolean serverBoundsStatements) {
        Reaper reaper = null;
        try {
            Dialect.Kind kind = settings.dialect() != null ? settings.dialect() : detect(dataSource, settings);
            Dialect dialect = Dialect.of(kind, settings.table());
            SqlExecutor sql = new SqlExecutor(
                    dataSource,
                    dialect,
                    settings.operationTimeout(),
                    // MariaDB's statements still get the driver's query timeout: the batch of
                    // renewals writes it into its own statements' text, and the others take it as a
                    // per-statement bound below the session's.
                    serverBoundsStatements && kind == Dialect.Kind.POSTGRESQL);
            List<Exception> ddlFailures = new ArrayList<>();
            if (settings.createTable() && !schemaComplete(sql, dialect)) {
                createTable(sql, dialect, ddlFailures);
            }
            check(sql, dialect, settings, ddlFailures);
            adviseOnLegacyIndex(sql, dialect);
            reaper = new Reaper(
                    sql, dialect, settings.retention(), settings.reapInterval(), settings.operationTimeout());
            if (kind == Dialect.Kind.POSTGRESQL) {
                ReleaseListener listener = new ReleaseListener(
                        listenerConnections, settings.table().channel(), settings.operationTimeout());
                ReleaseNotifier notifier = new ReleaseNotifier(listener, settings.table());
                return new PostgresLockBackend(dialect, sql, reaper, owned, notifier, batches(settings));
            }
            return new JdbcLockBackend(dialect, sql, reaper, owned, null, batches(settings));
        } catch (RuntimeException e) {
            if (reaper != null) {
                reaper.close();
            }
            closeQuietly(owned, e);
            throw e;
        }
    }

    /**
     * How many renewal batches may hold a connection at once: the pool less two, which stay free
     * for acquisitions, releases and the reaper while batches wait on a slow database (K1, N7).
     */
    private static int batches(JdbcSettings settings) {
        return Math.max(1, settings.poolSize() - 2);
    }

    /**
     * Reads the database product from the driver.
     *
     * @throws LockException when no connection can be had
     * @throws IllegalArgumentException when the database is none of the supported ones
     */
    static Dialect.Kind detect(DataSource dataSource, JdbcSettings settings) {
        String product;
        String version;
        int major;
        int minor;
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            product = metaData.getDatabaseProductName();
            version = metaData.getDatabaseProductVersion();
            major = metaData.getDatabaseMajorVersion();
            minor = metaData.getDatabaseMinorVersion();
        } catch (SQLException e) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "jdbc: cannot connect to " + settings.source() + ": " + SqlExecutor.describe(e),
                    e);
        }
        String name = product.toLowerCase(Locale.ROOT);
        Dialect.Kind kind;
        boolean recentEnough;
        if (name.contains("postgresql")) {
            kind = Dialect.Kind.POSTGRESQL;
            recentEnough = major > 9 || (major == 9 && minor >= 6);
        } else if (name.contains("mariadb") || version.toLowerCase(Locale.ROOT).contains("mariadb")) {
            kind = Dialect.Kind.MARIADB;
            recentEnough = major > 10 || (major == 10 && minor >= 5);
        } else if (name.equals("h2")) {
            kind = Dialect.Kind.H2;
            recentEnough = major >= 2;
        } else {
            throw new IllegalArgumentException("The jdbc backend supports PostgreSQL, MariaDB and H2, not " + product
                    + " " + version + " at " + settings.source() + "; set " + JdbcSettings.DIALECT
                    + " only for a database compatible with one of them");
        }
        if (!recentEnough) {
            throw new IllegalArgumentException("The jdbc backend needs PostgreSQL 9.6, MariaDB 10.5 or H2 2.0 or"
                    + " later; " + settings.source() + " runs " + product + " " + version);
        }
        return kind;
    }

    /**
     * Whether the table, its sequence, its columns and the reaper's index all exist, read without
     * DDL: on PostgreSQL even a no-op {@code ALTER TABLE ... IF NOT EXISTS} takes the table's
     * exclusive lock, which would stall every manager behind a long reader at each open.
     */
    private static boolean schemaComplete(SqlExecutor sql, Dialect dialect) {
        try {
            runCheck(sql, dialect);
            return sql.execute("check", dialect.table().name(), dialect::hasReapIndex);
        } catch (LockException e) {
            return false;
        }
    }

    /** Runs the dialect's check of the table, its sequence and its columns. */
    private static void runCheck(SqlExecutor sql, Dialect dialect) {
        sql.execute("check", dialect.table().name(), (connection, budget) -> {
            dialect.check(connection, budget);
            return null;
        });
    }

    /**
     * Runs every statement of the schema. One that fails is recorded and the others still run:
     * another manager may be creating the same table right now ("IF NOT EXISTS" is not atomic on
     * PostgreSQL), and what matters is whether the schema is complete afterwards, which {@link
     * #check} then decides.
     */
    private static void createTable(SqlExecutor sql, Dialect dialect, List<Exception> failures) {
        for (String ddl : dialect.schema()) {
            try {
                sql.execute("create table", dialect.table().name(), (connection, budget) -> {
                    try (Statement statement = connection.createStatement()) {
                        budget.bound(statement);
                        statement.execute(ddl);
                    }
                    return null;
                });
            } catch (LockException e) {
                LOG.log(Level.DEBUG, "DDL failed; the check after the schema decides: " + ddl, e);
                failures.add(e);
            }
        }
    }

    /**
     * Fails the open unless the table, its sequence, its columns and the reaper's index exist,
     * naming the statements that would add what is missing.
     */
    private static void check(SqlExecutor sql, Dialect dialect, JdbcSettings settings, List<Exception> earlier) {
        try {
            runCheck(sql, dialect);
        } catch (LockException e) {
            LockException missing = new LockException(
                    LockError.INTERNAL_ERROR,
                    "jdbc: the lock table " + dialect.table().name() + " or its sequence "
                            + dialect.table().sequence()
                            + " is missing or unusable at " + settings.source() + " (" + e.getCause()
                            + "); create them with the DDL in io/dlm/backend/jdbc/schema-"
                            + dialect.kind().id()
                            + ".sql (see docs/backends/jdbc.md), or set " + JdbcSettings.CREATE_TABLE + "=true;"
                            + " a table made by an earlier version needs the column attempt_id: ALTER TABLE "
                            + dialect.table().name() + " ADD COLUMN attempt_id BIGINT; and the column reap_from"
                            + " with its index, which " + JdbcSettings.CREATE_TABLE + "=true adds: "
                            + String.join("; ", dialect.upgrade()),
                    e.getCause());
            earlier.forEach(missing::addSuppressed);
            throw missing;
        }
        boolean indexed = sql.execute("check", dialect.table().name(), dialect::hasReapIndex);
        if (!indexed) {
            // Without it every reaper run reads the whole table (E4), and on MariaDB locks it.
            LockException missing = new LockException(
                    LockError.INTERNAL_ERROR,
                    "jdbc: the lock table " + dialect.table().name() + " at " + settings.source()
                            + " lacks the index " + dialect.table().reapIndex() + " that its reaper reads; add it ("
                            + String.join("; ", dialect.upgrade()) + "), or set " + JdbcSettings.CREATE_TABLE
                            + "=true");
            earlier.forEach(missing::addSuppressed);
            throw missing;
        }
    }

    /**
     * Tells the operator, once per open, that a table made before {@code reap_from} still has the
     * index on {@code expires_at}: nothing reads it, but it makes every acquisition and release
     * write an index entry (and, on PostgreSQL, not a HOT update). Dropping it is theirs to do,
     * once no older DLM, whose reaper walks it, uses the table. Only a hint: a failure to look is
     * ignored.
     */
    private static void adviseOnLegacyIndex(SqlExecutor sql, Dialect dialect) {
        try {
            boolean present = sql.execute("check", dialect.table().name(), dialect::hasLegacyIndex);
            if (present) {
                LOG.log(
                        Level.INFO,
                        "The lock table {0} still has the index {1}, which this version of DLM does not use"
                                + " but every acquisition and release still writes; drop it once no older DLM"
                                + " uses the table: {2}",
                        dialect.table().name(),
                        dialect.table().expiryIndex(),
                        dialect.dropLegacyIndexSql());
            }
        } catch (LockException e) {
            LOG.log(
                    Level.DEBUG,
                    "Could not look for the old index on " + dialect.table().name(),
                    e);
        }
    }

    private static void closeQuietly(AutoCloseable owned, Exception failure) {
        try {
            owned.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }
}
