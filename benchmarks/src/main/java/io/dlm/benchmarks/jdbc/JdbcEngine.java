package io.dlm.benchmarks.jdbc;

import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code postgresql} and {@code mariadb} engines, a database the benchmarks do not start (see
 * {@link BenchDatabase}): {@code DLM} is DLM's {@code jdbc} backend, {@code PEER} ShedLock's plain
 * JDBC provider ({@link ShedLockTable}), {@code RAW} an upsert and a delete ({@link RawJdbcTable}).
 * Each implementation keeps its locks in a table of its own, named for the implementation and this
 * engine ({@link #sqlTable}), so that what it opens twice shares its locks; {@link #close()} drops
 * the tables.
 */
public final class JdbcEngine implements Engine {

    /** The implementations, in the order the plain programs of this package run them. */
    static final List<String> IMPLEMENTATIONS = List.of("DLM", "PEER", "RAW");

    private final BenchDatabase database;
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final Set<String> opened = ConcurrentHashMap.newKeySet();

    JdbcEngine(BenchDatabase database) {
        this.database = database;
    }

    /**
     * The database of {@code -Ddlm.bench.jdbc.url}: PostgreSQL on 127.0.0.1:5432, database {@code
     * test}, user {@code postgres}, unless told otherwise.
     *
     * @return the engine
     */
    public static JdbcEngine postgresql() {
        return new JdbcEngine(BenchDatabase.configured());
    }

    /**
     * The database of {@code -Ddlm.bench.mariadb.url}: MariaDB on 127.0.0.1:3306, database {@code
     * test}, user {@code root}, unless told otherwise.
     *
     * @return the engine
     */
    public static JdbcEngine mariaDb() {
        return new JdbcEngine(BenchDatabase.configuredMariaDb());
    }

    @Override
    public LockTable open(String implementation) {
        String table = sqlTable(implementation);
        if (IMPLEMENTATIONS.contains(implementation)) {
            opened.add(implementation); // before its table exists, so that close() drops it whatever happens next
        }
        return switch (implementation) {
            case "DLM" -> Engine.dlm("jdbc", database.dlmSettings(table));
            case "PEER" -> new ShedLockTable(database, table);
            case "RAW" -> new RawJdbcTable(database, table);
            default ->
                throw Engine.unknown(database.isMariaDb() ? "mariadb" : "postgresql", implementation, IMPLEMENTATIONS);
        };
    }

    /**
     * The table an implementation keeps its locks in, for {@link JdbcPairCost}.
     *
     * @param implementation its name
     * @return the table's unqualified name
     */
    String sqlTable(String implementation) {
        return "bench_" + implementation.toLowerCase(Locale.ROOT) + "_" + suffix;
    }

    @Override
    public int resourcesPerThread() {
        // ShedLock compares its millisecond clock with the microsecond expiry its unlock wrote, and so
        // refuses to lock a name again within the millisecond it was released in.
        return 64;
    }

    @Override
    public void close() {
        for (String implementation : opened) {
            String table = sqlTable(implementation);
            database.execute("DROP TABLE IF EXISTS " + table);
            if (implementation.equals("DLM")) {
                database.execute("DROP SEQUENCE IF EXISTS " + table + "_seq");
            }
        }
    }
}
