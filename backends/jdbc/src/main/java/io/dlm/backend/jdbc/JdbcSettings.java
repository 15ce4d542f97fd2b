package io.dlm.backend.jdbc;

import io.dlm.spi.BackendContext;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code dlm.jdbc.*} settings, checked once when a manager opens (E1a).
 *
 * @param url {@value #URL}: a JDBC URL for a pool of DLM's own (HikariCP), or null
 * @param user {@value #USER}, or null
 * @param password {@value #PASSWORD}, or null
 * @param jndiName {@value #DATASOURCE}: the JNDI name of a container's DataSource, or null
 * @param table {@value TableName#KEY}
 * @param createTable {@value #CREATE_TABLE}: create the table and sequence if missing
 * @param dialect {@value #DIALECT}: the dialect, or null to detect it
 * @param poolSize {@value #POOL_SIZE}: the most connections of DLM's own pool
 * @param retention {@value #RETENTION}: how long the row of a free resource is kept
 * @param reapInterval {@value #REAP_INTERVAL}: how often the reaper deletes rows kept long enough
 * @param operationTimeout {@code dlm.operation.timeout}, the bound of every statement (X1)
 */
record JdbcSettings(
        @Nullable String url,
        @Nullable String user,
        @Nullable String password,
        @Nullable String jndiName,
        TableName table,
        boolean createTable,
        Dialect.@Nullable Kind dialect,
        int poolSize,
        Duration retention,
        Duration reapInterval,
        Duration operationTimeout) {

    static final String URL = "dlm.jdbc.url";
    static final String USER = "dlm.jdbc.user";
    static final String PASSWORD = "dlm.jdbc.password";
    static final String DATASOURCE = "dlm.jdbc.datasource";
    static final String CREATE_TABLE = "dlm.jdbc.create-table";
    static final String DIALECT = "dlm.jdbc.dialect";
    static final String POOL_SIZE = "dlm.jdbc.pool-size";
    static final String RETENTION = "dlm.jdbc.retention";
    static final String REAP_INTERVAL = "dlm.jdbc.reap-interval";

    private static final Set<String> KEYS = Set.of(
            URL, USER, PASSWORD, DATASOURCE, TableName.KEY, CREATE_TABLE, DIALECT, POOL_SIZE, RETENTION, REAP_INTERVAL);

    /**
     * A free row must outlive any acquisition statement by far; see {@link #retention}. The
     * retention is at least this many operation timeouts.
     */
    static final int RETENTION_PER_OPERATION_TIMEOUT = 10;

    /**
     * The shortest {@code dlm.operation.timeout} with a pool of DLM's own ({@value #URL}): HikariCP
     * refuses to wait less than 250 ms for a connection, so an operation that has to wait for one
     * (the pool busy, a connection being opened, the database away) could not end within a shorter
     * timeout (X1). A DataSource of the application's is not bound by it: how long it makes a
     * caller wait for a connection is its own setting.
     */
    static final Duration MIN_POOLED_OPERATION_TIMEOUT = Duration.ofMillis(250);

    private static final Duration DEFAULT_RETENTION = Duration.ofMinutes(10);
    private static final Duration DEFAULT_REAP_INTERVAL = Duration.ofMinutes(1);
    private static final int DEFAULT_POOL_SIZE = 10;

    private static final System.Logger LOG = System.getLogger(JdbcSettings.class.getName());

    /**
     * Parses and checks the settings.
     *
     * @param context the runtime's settings
     * @param dataSourceGiven whether the caller hands in a DataSource, so that neither
     *     {@value #URL} nor {@value #DATASOURCE} may be set
     * @return the settings
     * @throws IllegalArgumentException naming the key of a missing, conflicting or invalid value
     */
    static JdbcSettings parse(BackendContext context, boolean dataSourceGiven) {
        warnAboutUnknownKeys(context);
        String url = text(context, URL);
        String jndiName = text(context, DATASOURCE);
        if (dataSourceGiven) {
            if (url != null || jndiName != null) {
                throw new IllegalArgumentException("Invalid settings: " + (url != null ? URL : DATASOURCE)
                        + " must not be set when a DataSource is handed in");
            }
        } else if (url == null && jndiName == null) {
            throw new IllegalArgumentException(
                    "Missing setting: " + URL + " (a JDBC URL) or " + DATASOURCE + " (a JNDI name) is required");
        } else if (url != null && jndiName != null) {
            throw new IllegalArgumentException("Invalid settings: set " + URL + " or " + DATASOURCE
                    + ", not both (a container's DataSource" + " already knows its URL)");
        }
        String user = context.property(USER).orElse(null);
        String password = context.property(PASSWORD).orElse(null);
        if (url == null && (user != null || password != null)) {
            throw new IllegalArgumentException(
                    "Invalid settings: " + (user != null ? USER : PASSWORD) + " only applies together with " + URL);
        }
        TableName table = TableName.parse(context.property(TableName.KEY).orElse(TableName.DEFAULT));
        boolean createTable = bool(context, CREATE_TABLE);
        Dialect.Kind dialect = dialect(context);
        int poolSize = poolSize(context);
        Duration operationTimeout = context.operationTimeout();
        if (url != null && operationTimeout.compareTo(MIN_POOLED_OPERATION_TIMEOUT) < 0) {
            throw new IllegalArgumentException("Invalid value for " + BackendContext.OPERATION_TIMEOUT + ": "
                    + operationTimeout + " is below 250ms, the least it may be with " + URL
                    + " (HikariCP, which pools the connections, waits at least 250 ms for one)");
        }
        Duration minimumRetention = operationTimeout.multipliedBy(RETENTION_PER_OPERATION_TIMEOUT);
        Duration retention = context.duration(RETENTION, max(DEFAULT_RETENTION, minimumRetention));
        if (retention.compareTo(minimumRetention) < 0) {
            throw new IllegalArgumentException("Invalid value for " + RETENTION + ": " + retention + " is below "
                    + RETENTION_PER_OPERATION_TIMEOUT + " times dlm.operation.timeout (" + minimumRetention
                    + "); a free row must outlive any statement by far, or a fencing token could go back");
        }
        Duration reapInterval = context.duration(REAP_INTERVAL, DEFAULT_REAP_INTERVAL);
        return new JdbcSettings(
                url,
                user,
                password,
                jndiName,
                table,
                createTable,
                dialect,
                poolSize,
                retention,
                reapInterval,
                operationTimeout);
    }

    private static @Nullable String text(BackendContext context, String key) {
        Optional<String> value = context.property(key);
        if (value.isEmpty()) {
            return null;
        }
        String trimmed = value.get().trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("Invalid value for " + key + ": must not be blank");
        }
        return trimmed;
    }

    private static boolean bool(BackendContext context, String key) {
        String value = context.property(key).orElse("false").trim();
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("Invalid value '" + value + "' for " + key + ": expected true or false");
    }

    private static Dialect.@Nullable Kind dialect(BackendContext context) {
        String value = text(context, DIALECT);
        if (value == null) {
            return null;
        }
        try {
            return Dialect.Kind.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + DIALECT + ": expected postgresql, mariadb or h2", e);
        }
    }

    private static int poolSize(BackendContext context) {
        String value = text(context, POOL_SIZE);
        if (value == null) {
            return DEFAULT_POOL_SIZE;
        }
        int size;
        try {
            size = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + POOL_SIZE + ": expected a whole number", e);
        }
        if (size < 1 || size > 1000) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + POOL_SIZE + ": must be between 1 and 1000");
        }
        return size;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static void warnAboutUnknownKeys(BackendContext context) {
        for (String key : context.properties().keySet()) {
            if (key.startsWith("dlm.jdbc.") && key.indexOf('/') < 0 && !KEYS.contains(key)) {
                LOG.log(Level.WARNING, "Unknown DLM setting {0}: the jdbc backend has no such setting", key);
            }
        }
    }

    /**
     * A description of where connections come from, for messages; never shows the password, nor
     * the URL's parameters, which may hold one.
     *
     * @return the URL or JNDI name
     */
    String source() {
        if (url != null) {
            // A query string (pgjdbc, MariaDB) or ;-settings (H2) may carry a password.
            int cut = url.length();
            for (char separator : new char[] {'?', ';'}) {
                int at = url.indexOf(separator);
                if (at >= 0) {
                    cut = Math.min(cut, at);
                }
            }
            return url.substring(0, cut);
        }
        return jndiName != null ? "JNDI " + jndiName : "the DataSource handed in";
    }

    @Override
    public String toString() {
        // The generated toString would print the password.
        return "JdbcSettings[" + source() + ", table=" + table.name() + "]";
    }
}
