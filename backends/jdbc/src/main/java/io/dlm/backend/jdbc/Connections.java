package io.dlm.backend.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.Properties;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Where the backend's connections come from: a HikariCP pool of DLM's own, built from {@code
 * dlm.jdbc.url}, or a container's DataSource found by its JNDI name ({@code dlm.jdbc.datasource}).
 */
final class Connections {

    private static final AtomicInteger POOLS = new AtomicInteger();

    /** PostgreSQL's {@code statement_timeout} is an int of milliseconds (about 24.8 days). */
    private static final long POSTGRES_MAX_STATEMENT_TIMEOUT_MILLIS = Integer.MAX_VALUE;

    /** MariaDB's {@code max_statement_time} is at most a year of seconds. */
    private static final long MARIADB_MAX_STATEMENT_TIME_MILLIS = 31_536_000_000L;

    /** Hikari refuses timeouts below this. */
    private static final long HIKARI_MIN_TIMEOUT_MILLIS = 250;

    private Connections() {}

    /**
     * Builds DLM's own pool. Waiting for a connection is bounded by the operation timeout (X1);
     * the pool does not connect before it is used, so that the backend's own check reports an
     * unreachable database with a message of its own. Its threads are named after the pool,
     * {@code dlm-jdbc-pool-N}.
     *
     * @param settings the settings, with a URL
     * @return the pool; closing it closes its connections and threads
     */
    static HikariDataSource pool(JdbcSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("dlm-jdbc-pool-" + POOLS.incrementAndGet());
        config.setJdbcUrl(settings.url());
        String driver = driverClassFor(settings.url());
        if (driver != null) {
            config.setDriverClassName(driver);
        }
        if (settings.user() != null) {
            config.setUsername(settings.user());
        }
        if (settings.password() != null) {
            config.setPassword(settings.password());
        }
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(1);
        long timeout =
                Math.max(HIKARI_MIN_TIMEOUT_MILLIS, settings.operationTimeout().toMillis());
        config.setConnectionTimeout(timeout);
        // A quarter: a borrow that validates a silently dead connection still leaves most of the
        // operation's budget (X1, N3). (MariaDB's driver waits at least a second for a validation,
        // whatever this says: docs/backends/jdbc.md, "Failures".)
        config.setValidationTimeout(Math.max(HIKARI_MIN_TIMEOUT_MILLIS, timeout / 4));
        config.setInitializationFailTimeout(-1);
        config.setAutoCommit(true);
        boundDriver(config, settings);
        if (settings.url().startsWith("jdbc:mariadb:")) {
            // Prepared on the server, once per connection: a lock statement is parsed and planned
            // once, not on every call, and its values travel in binary. This took about a third off
            // the server's and the client's time per acquire and release. Settings in the URL win.
            config.addDataSourceProperty("useServerPrepStmts", "true");
        }
        String bound = statementBound(settings);
        if (bound != null) {
            config.setConnectionInitSql(bound);
        }
        return new HikariDataSource(config);
    }

    /**
     * The statement that makes the server end each of the session's statements after the
     * operation timeout, on the databases where DLM's own pool does so, else null. Clamped to what
     * each server accepts: a longer timeout would make every new connection fail.
     */
    private static @Nullable String statementBound(JdbcSettings settings) {
        long millis = settings.operationTimeout().toMillis();
        if (settings.url().startsWith("jdbc:postgresql:")) {
            return "SET statement_timeout = " + Math.min(millis, POSTGRES_MAX_STATEMENT_TIMEOUT_MILLIS);
        }
        if (settings.url().startsWith("jdbc:mariadb:")) {
            // In seconds, to the millisecond; the session's value also bounds statements that
            // carry a SET STATEMENT prefix of their own, where the driver's per-statement prefix
            // would be ignored.
            long bounded = Math.min(millis, MARIADB_MAX_STATEMENT_TIME_MILLIS);
            return "SET max_statement_time = " + BigDecimal.valueOf(bounded, 3).toPlainString();
        }
        return null;
    }

    /**
     * Whether DLM's own pool has the server end every statement after the operation timeout. On
     * PostgreSQL the driver times a query timeout on a timer thread that wakes for every statement,
     * so the pool sets {@code statement_timeout} once per connection and statements get no query
     * timeout (see {@link SqlExecutor}). On MariaDB the driver's query timeout is a {@code SET
     * STATEMENT max_statement_time} prefix, which the server ignores in front of a statement that
     * has such a prefix already (DLM's own, for the time zone), so the pool also sets {@code
     * max_statement_time} once per connection, under the statements' own. H2 checks a query timeout
     * in the statement's own thread and needs neither.
     *
     * @param settings the settings, with a URL
     * @return whether the pool of {@link #pool} sets it
     */
    static boolean serverBoundsStatements(JdbcSettings settings) {
        return statementBound(settings) != null;
    }

    /**
     * Bounds what the drivers otherwise wait for by their own defaults, far beyond the operation
     * timeout when the network goes silent (N1): opening a connection, and pgjdbc's cancel of a
     * statement whose query timeout passed, which the calling thread waits for (10 s by default).
     * Each driver has its own names and units; settings in the URL win.
     */
    private static void boundDriver(HikariConfig config, JdbcSettings settings) {
        long millis =
                Math.max(HIKARI_MIN_TIMEOUT_MILLIS, settings.operationTimeout().toMillis());
        String seconds = Integer.toString(
                SqlExecutor.timeoutSeconds(settings.operationTimeout().toNanos()));
        String url = settings.url();
        if (url.startsWith("jdbc:postgresql:")) {
            config.addDataSourceProperty("connectTimeout", seconds);
            config.addDataSourceProperty("loginTimeout", seconds);
            config.addDataSourceProperty("cancelSignalTimeout", seconds);
        } else if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
            config.addDataSourceProperty("connectTimeout", Long.toString(millis));
        }
    }

    /**
     * The class of the driver that accepts a URL, among the drivers DLM's own class loader sees, or
     * null. HikariCP, given no class, asks DriverManager, which only hands a caller the drivers that
     * its class loader loaded; in an application's class loader (a web application's {@code
     * WEB-INF/lib}, a Quarkus application started again in the same JVM) the driver the application
     * ships is not among them until something has loaded it, and the pool fails with "No suitable
     * driver". Looking the drivers up here loads them, and naming the class makes HikariCP use it.
     *
     * @param url the JDBC URL
     * @return the driver's class name, or null to leave the choice to DriverManager
     */
    static @Nullable String driverClassFor(String url) {
        Iterator<Driver> drivers = ServiceLoader.load(Driver.class, Connections.class.getClassLoader())
                .iterator();
        try {
            while (drivers.hasNext()) {
                try {
                    Driver driver = drivers.next();
                    if (driver.acceptsURL(url)) {
                        return driver.getClass().getName();
                    }
                } catch (ServiceConfigurationError | SQLException e) {
                    // A driver that cannot load or judge the URL is not the one: try the next.
                }
            }
        } catch (ServiceConfigurationError e) {
            // The list of drivers cannot be read further: leave the choice to DriverManager.
        }
        return null;
    }

    /**
     * Opens a connection outside the pool, for the PostgreSQL listener, which keeps it for the
     * backend's life and should not take one of the pool's places.
     *
     * @param settings the settings, with a URL
     * @param applicationName shown in {@code pg_stat_activity}
     * @return a factory of such connections
     */
    static ReleaseListener.ConnectionFactory direct(JdbcSettings settings, String applicationName) {
        String url = settings.url();
        Properties properties = new Properties();
        if (settings.user() != null) {
            properties.setProperty("user", settings.user());
        }
        if (settings.password() != null) {
            properties.setProperty("password", settings.password());
        }
        // pgjdbc's own names; the listener only runs on PostgreSQL.
        String seconds = Integer.toString(
                SqlExecutor.timeoutSeconds(settings.operationTimeout().toNanos()));
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("loginTimeout", seconds);
        properties.setProperty("cancelSignalTimeout", seconds);
        properties.setProperty("ApplicationName", applicationName);
        return () -> DriverManager.getConnection(url, properties);
    }

    /**
     * Opens a listener connection from a DataSource that is not ours, naming it for {@code
     * pg_stat_activity}.
     *
     * @param dataSource the DataSource
     * @param applicationName shown in {@code pg_stat_activity}
     * @return a factory of such connections
     */
    static ReleaseListener.ConnectionFactory from(DataSource dataSource, String applicationName) {
        return new Borrowed(dataSource, applicationName);
    }

    /**
     * Listener connections borrowed from a pool that is not ours: labelled while in use, and given
     * back with their old label. The listener holds one connection at a time.
     */
    private static final class Borrowed implements ReleaseListener.ConnectionFactory {
        private final DataSource dataSource;
        private final String applicationName;
        private @Nullable String previousName;

        Borrowed(DataSource dataSource, String applicationName) {
            this.dataSource = dataSource;
            this.applicationName = applicationName;
        }

        @Override
        public Connection open() throws SQLException {
            Connection connection = dataSource.getConnection();
            try {
                previousName = connection.getClientInfo("ApplicationName");
                connection.setClientInfo("ApplicationName", applicationName);
            } catch (SQLException e) {
                // Only a label for operators.
            }
            return connection;
        }

        @Override
        public void release(Connection connection) throws SQLException {
            try {
                if (!connection.isClosed()) {
                    connection.setClientInfo("ApplicationName", previousName == null ? "" : previousName);
                }
            } catch (SQLException e) {
                // Only a label; the connection is given back either way.
            } finally {
                connection.close();
            }
        }
    }

    /**
     * Finds a container's DataSource.
     *
     * @param name the JNDI name, e.g. {@code java:comp/env/jdbc/locks}
     * @return the DataSource
     * @throws IllegalArgumentException naming {@code dlm.jdbc.datasource} when the name is not
     *     bound to a DataSource
     */
    static DataSource lookup(String name) {
        Object found;
        try {
            InitialContext context = new InitialContext();
            try {
                found = context.lookup(name);
            } finally {
                context.close();
            }
        } catch (NamingException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + name + "' for " + JdbcSettings.DATASOURCE + ": JNDI lookup failed: " + e, e);
        }
        if (found instanceof DataSource dataSource) {
            return dataSource;
        }
        throw new IllegalArgumentException("Invalid value '" + name + "' for " + JdbcSettings.DATASOURCE + ": bound to "
                + (found == null ? "nothing" : found.getClass().getName()) + ", not a DataSource");
    }

    /**
     * The label of listener connections in {@code pg_stat_activity}, within PostgreSQL's 63 bytes.
     *
     * @param table the lock table
     * @return {@code dlm-listen <table>}
     */
    static String listenerName(TableName table) {
        return "dlm-listen " + table.name();
    }
}
