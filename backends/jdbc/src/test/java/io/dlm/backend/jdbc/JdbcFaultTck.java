package io.dlm.backend.jdbc;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's fault tier on one database server, through the tier's TCP fault proxy, in a table of
 * the class's own; one subclass per server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcFaultTck extends LockManagerFaultTck {

    private final TestDatabase database;

    // An instance field, as the subclass names the database: JUnit calls it around the whole
    // class only because the class has one instance (PER_CLASS).
    @RegisterExtension
    private final ClassTable table;

    JdbcFaultTck(TestDatabase database) {
        this.database = database;
        this.table = new ClassTable(database, "faults");
    }

    @Override
    protected String backendName() {
        return JdbcLockBackendProvider.NAME;
    }

    @Override
    protected InetSocketAddress engineAddress() {
        URI uri = URI.create(database.url().substring("jdbc:".length()));
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    /** The test database's URL with the host and port replaced, e.g. by the fault proxy's. */
    @Override
    protected Map<String, String> connectionProperties(String host, int port) {
        URI uri = URI.create(database.url().substring("jdbc:".length()));
        String url = "jdbc:" + uri.getScheme() + "://" + host + ":" + port + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Map<String, String> settings = new HashMap<>(table.settings());
        settings.put("dlm.jdbc.url", url);
        return settings;
    }

    /** Leases are kept to the microsecond, as the databases' timestamps are. */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofNanos(1_000);
    }
}
