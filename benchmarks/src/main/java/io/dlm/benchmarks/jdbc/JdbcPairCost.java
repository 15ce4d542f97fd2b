package io.dlm.benchmarks.jdbc;

import io.dlm.benchmarks.LockTable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * What one uncontended acquire + release pair costs, for each implementation of {@link JdbcEngine}
 * in turn on the database of {@code -Ddlm.bench.jdbc.url} ({@link BenchDatabase#configured()}), counted
 * rather than timed: the client's round trips (writes on the driver's socket, see {@link
 * CountingSocketFactory}) and CPU, and on the server the transactions, the table's row counters,
 * the sequence values drawn, the notifications sent, and, on PostgreSQL, the CPU of the backends
 * that served the pairs and the WAL they wrote, by relation and record type (from {@code
 * pg_walinspect}, so that other sessions of a shared server do not count).
 *
 * <p>Each implementation runs {@code pairs} pairs (default 5,000) on one thread, cycling through
 * 64 resources as {@code AcquireReleaseBenchmark} does, after a warm-up of as many; counters
 * are read before and after, each time after {@value #SETTLE_SECONDS} s of quiet, because
 * PostgreSQL's backends publish their statistics up to 10 s late when idle. Run it on a database
 * of its own, so that the transaction count is only these pairs':
 *
 * <pre>{@code
 * psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE dlm_perf'
 * java -cp benchmarks/target/benchmarks.jar -Ddlm.bench.jdbc.url=jdbc:postgresql://127.0.0.1:5432/dlm_perf \
 *     io.dlm.benchmarks.jdbc.JdbcPairCost 5000          # then optionally DLM PEER RAW
 * java -cp benchmarks/target/benchmarks.jar -Ddlm.bench.jdbc.url=jdbc:mariadb://127.0.0.1:3306/dlm_perf \
 *     -Ddlm.bench.jdbc.user=root io.dlm.benchmarks.jdbc.JdbcPairCost 5000
 * }</pre>
 *
 * <p>On MariaDB the server's counters ({@code SHOW GLOBAL STATUS}) are the whole server's: read
 * them on a server nothing else uses. The program creates {@code pg_walinspect} in the database if
 * it is missing, which needs a superuser.
 */
public final class JdbcPairCost {

    private static final int RESOURCES = 64;
    private static final int SETTLE_SECONDS = 11;

    private JdbcPairCost() {}

    /**
     * Runs the count.
     *
     * @param args the number of pairs per implementation, then the implementations to count ({@code
     *     DLM}, {@code PEER}, {@code RAW}; all when none is named), both optional
     * @throws Exception when the database fails
     */
    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        BenchDatabase database = BenchDatabase.configured();
        String url = database.url();
        // Every pool the implementations open counts its round trips; the monitor does not.
        JdbcEngine engine = new JdbcEngine(database.withUrl(
                url + (url.contains("?") ? "&" : "?") + "socketFactory=" + CountingSocketFactory.class.getName()));
        try (engine;
                Connection monitor = DriverManager.getConnection(url, database.user(), database.password())) {
            monitor.setAutoCommit(true);
            Probe probe = database.isMariaDb() ? new MariaDbProbe(monitor) : new PostgresProbe(monitor);
            for (String name : JdbcEngine.IMPLEMENTATIONS) {
                if (args.length <= 1 || List.of(args).subList(1, args.length).contains(name)) {
                    measure(name, engine, probe, pairs);
                }
            }
        }
    }

    private static void measure(String name, JdbcEngine engine, Probe probe, int pairs) throws Exception {
        String table = engine.sqlTable(name);
        try (LockTable locks = engine.open(name)) {
            String[] resources = new String[RESOURCES];
            for (int i = 0; i < RESOURCES; i++) {
                resources[i] = "pair-cost-" + i;
            }
            run(locks, resources, pairs);
            probe.listen(table);
            settle();
            Map<String, Long> before = probe.snapshot(table);
            long writes = CountingSocketFactory.writes();
            long cpu = processCpuNanos();
            long start = System.nanoTime();
            run(locks, resources, pairs);
            long wall = System.nanoTime() - start;
            cpu = processCpuNanos() - cpu;
            writes = CountingSocketFactory.writes() - writes;
            settle();
            Map<String, Long> after = probe.snapshot(table);

            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "%n== %s: %,d pairs on table %s%n", name, pairs, table));
            line(out, "wall time per pair, us", wall / 1_000.0 / pairs);
            line(out, "client CPU per pair, us (whole JVM)", cpu / 1_000.0 / pairs);
            line(out, "round trips per pair (socket writes)", (double) writes / pairs);
            for (Map.Entry<String, Long> counter : after.entrySet()) {
                Long earlier = before.get(counter.getKey());
                if (earlier != null) {
                    line(out, counter.getKey() + " per pair", (counter.getValue() - earlier) / (double) pairs);
                }
            }
            line(out, "notifications per pair", probe.notifications() / (double) pairs);
            out.append(probe.details(table, before, after, pairs));
            System.out.print(out);
        }
    }

    private static void run(LockTable locks, String[] resources, int pairs) {
        for (int i = 0; i < pairs; i++) {
            String resource = resources[i % RESOURCES];
            if (!locks.lock(resource, "client-0", 0) || !locks.unlock(resource, "client-0")) {
                throw new IllegalStateException("pair " + i + " failed: the resources are this thread's own");
            }
        }
    }

    private static void settle() throws InterruptedException {
        TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void line(StringBuilder out, String what, double value) {
        out.append(String.format(Locale.ROOT, "  %-52s %12.2f%n", what, value));
    }

    /** CPU time of a process or thread of this host from {@code /proc}, in microseconds; 0 if unreadable. */
    static long procCpuMicros(String statFile) {
        try {
            String stat = Files.readString(Path.of(statFile));
            // Fields after the command, which is in parentheses and may hold spaces.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            return ticks * 10_000; // USER_HZ is 100 on Linux
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU time of the MariaDB server processes of this host.
     *
     * @return microseconds, 0 when there are none
     */
    static long mariaDbServerCpuMicros() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().orElse("").endsWith("mariadbd")
                        || p.info().command().orElse("").endsWith("mysqld"))
                .mapToLong(p -> procCpuMicros("/proc/" + p.pid() + "/stat"))
                .sum();
    }

    /** Reads the server's counters around a run. */
    private interface Probe {
        /** Starts counting notifications on the table's channel, where the database has them. */
        void listen(String table) throws SQLException;

        /** Notifications received since {@link #listen}. */
        long notifications() throws SQLException;

        /** The counters, by name, in the order to print them. */
        Map<String, Long> snapshot(String table) throws SQLException;

        /** Further lines after the counters, from what the snapshots hold. */
        String details(String table, Map<String, Long> before, Map<String, Long> after, int pairs) throws SQLException;
    }

    /** PostgreSQL: table statistics, sequence, backend CPU, and WAL attributed by pg_walinspect. */
    private static final class PostgresProbe implements Probe {
        private static final String LSN = "WAL position advance, whole server";

        private final Connection monitor;
        private long notifications;

        PostgresProbe(Connection monitor) throws SQLException {
            this.monitor = monitor;
            try (Statement statement = monitor.createStatement()) {
                statement.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect");
            }
        }

        @Override
        public void listen(String table) throws SQLException {
            try (Statement statement = monitor.createStatement()) {
                statement.execute("LISTEN \"" + table + "\"");
            }
            drain();
            notifications = 0;
        }

        @Override
        public long notifications() throws SQLException {
            drain();
            try (Statement statement = monitor.createStatement()) {
                statement.execute("UNLISTEN *");
            }
            return notifications;
        }

        private void drain() throws SQLException {
            PGNotification[] received = monitor.unwrap(PGConnection.class).getNotifications(100);
            while (received != null && received.length > 0) {
                notifications += received.length;
                received = monitor.unwrap(PGConnection.class).getNotifications(100);
            }
        }

        /** One statement, so that the monitor adds exactly one transaction to the database's count. */
        @Override
        public Map<String, Long> snapshot(String table) throws SQLException {
            String sql = "SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn, d.xact_commit + d.xact_rollback,"
                    + " s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_del,"
                    + " (SELECT last_value FROM pg_sequences WHERE sequencename = ? AND schemaname = 'public'),"
                    + " (SELECT wal_bytes FROM pg_stat_wal), (SELECT wal_records FROM pg_stat_wal),"
                    + " (SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND backend_type = 'client backend')"
                    + " FROM pg_stat_database d, pg_stat_user_tables s"
                    + " WHERE d.datname = current_database() AND s.relid = to_regclass(?)";
            Map<String, Long> values = new LinkedHashMap<>();
            try (PreparedStatement statement = monitor.prepareStatement(sql)) {
                statement.setString(1, table + "_seq");
                statement.setString(2, table);
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        throw new SQLException("no statistics for " + table);
                    }
                    values.put(LSN, row.getLong(1));
                    values.put("transactions (+1 of the monitor's in all)", row.getLong(2));
                    values.put("rows inserted", row.getLong(3));
                    values.put("rows updated", row.getLong(4));
                    values.put("  of which HOT", row.getLong(5));
                    values.put("rows deleted", row.getLong(6));
                    long sequence = row.getLong(7);
                    if (!row.wasNull()) {
                        values.put("sequence values drawn", sequence);
                    }
                    values.put("WAL bytes, whole server (pg_stat_wal)", row.getLong(8));
                    values.put("WAL records, whole server (pg_stat_wal)", row.getLong(9));
                    values.put("server CPU us, backends of this database", backendCpu(row.getArray(10)));
                }
            }
            return values;
        }

        private static long backendCpu(Array pids) throws SQLException {
            if (pids == null) {
                return 0;
            }
            long micros = 0;
            for (Object pid : (Object[]) pids.getArray()) {
                micros += procCpuMicros("/proc/" + pid + "/stat");
            }
            return micros;
        }

        @Override
        public String details(String table, Map<String, Long> before, Map<String, Long> after, int pairs)
                throws SQLException {
            // The relations of the implementation: table, indexes, TOAST, sequence; and every record
            // of a transaction that touched them (commits, sequence logging).
            String sql = "WITH rels AS (SELECT c.relfilenode, c.relname FROM pg_class c WHERE c.oid = to_regclass(?)"
                    + " OR c.oid = to_regclass(?) OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid ="
                    + " to_regclass(?)) OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = to_regclass(?))),"
                    + " db AS (SELECT oid FROM pg_database WHERE datname = current_database()),"
                    + " r AS (SELECT w.*, (regexp_match(w.block_ref, 'rel \\d+/' || (SELECT oid FROM db) ||"
                    + " '/(\\d+)'))[1]::oid AS node FROM pg_get_wal_records_info(?::pg_lsn, ?::pg_lsn) w),"
                    + " mine AS (SELECT DISTINCT xid FROM r WHERE node IN (SELECT relfilenode FROM rels)"
                    + " AND xid <> '0'::xid)"
                    + " SELECT coalesce(rels.relname, '(no relation)'), r.resource_manager, r.record_type,"
                    + " r.xid IN (SELECT xid FROM mine), count(*), sum(r.record_length), sum(r.fpi_length)"
                    + " FROM r LEFT JOIN rels ON rels.relfilenode = r.node"
                    + " WHERE rels.relname IS NOT NULL OR r.xid IN (SELECT xid FROM mine)"
                    + " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
            List<String[]> rows = new ArrayList<>();
            long bytes = 0;
            long fpi = 0;
            try (PreparedStatement statement = monitor.prepareStatement(sql)) {
                statement.setString(1, table);
                statement.setString(2, table + "_seq");
                statement.setString(3, table);
                statement.setString(4, table);
                statement.setString(5, lsn(before.get(LSN)));
                statement.setString(6, lsn(after.get(LSN)));
                try (ResultSet row = statement.executeQuery()) {
                    while (row.next()) {
                        bytes += row.getLong(6);
                        fpi += row.getLong(7);
                        rows.add(new String[] {
                            row.getString(1),
                            row.getString(2) + " " + row.getString(3) + (row.getBoolean(4) ? "" : " (outside)"),
                            String.format(Locale.ROOT, "%.2f", row.getLong(5) / (double) pairs),
                            String.format(Locale.ROOT, "%.1f", row.getLong(6) / (double) pairs),
                            String.format(Locale.ROOT, "%.1f", row.getLong(7) / (double) pairs)
                        });
                    }
                }
            }
            StringBuilder out = new StringBuilder();
            out.append(String.format(
                    Locale.ROOT,
                    "  WAL of these pairs per pair: %.1f bytes, of which %.1f full-page images%n",
                    bytes / (double) pairs,
                    fpi / (double) pairs));
            out.append(String.format(
                    Locale.ROOT, "    %-28s %-44s %8s %9s %8s%n", "relation", "record", "count", "bytes", "fpi"));
            for (String[] row : rows) {
                out.append(String.format(
                        Locale.ROOT, "    %-28s %-44s %8s %9s %8s%n", row[0], row[1], row[2], row[3], row[4]));
            }
            return out.toString();
        }

        private static String lsn(long position) {
            return Long.toHexString(position >>> 32).toUpperCase(Locale.ROOT) + "/"
                    + Long.toHexString(position & 0xFFFF_FFFFL).toUpperCase(Locale.ROOT);
        }
    }

    /** MariaDB: the server's global counters, which only a server of one's own makes exact. */
    private static final class MariaDbProbe implements Probe {
        private static final List<String> STATUS = List.of(
                "Com_insert",
                "Com_update",
                "Com_delete",
                "Com_select",
                "Handler_write",
                "Handler_update",
                "Handler_delete",
                "Handler_read_key",
                "Innodb_rows_inserted",
                "Innodb_rows_updated",
                "Innodb_rows_deleted",
                "Innodb_os_log_written",
                "Innodb_data_fsyncs");

        private final Connection monitor;

        MariaDbProbe(Connection monitor) {
            this.monitor = monitor;
        }

        @Override
        public void listen(String table) {}

        @Override
        public long notifications() {
            return 0;
        }

        @Override
        public Map<String, Long> snapshot(String table) throws SQLException {
            Map<String, Long> status = new LinkedHashMap<>();
            try (Statement statement = monitor.createStatement();
                    ResultSet row = statement.executeQuery("SHOW GLOBAL STATUS")) {
                while (row.next()) {
                    status.put(row.getString(1), parse(row.getString(2)));
                }
            }
            Map<String, Long> values = new LinkedHashMap<>();
            for (String name : STATUS) {
                values.put(name, status.getOrDefault(name, 0L));
            }
            try (Statement statement = monitor.createStatement();
                    ResultSet row = statement.executeQuery("SELECT next_not_cached_value FROM " + table + "_seq")) {
                if (row.next()) {
                    values.put("sequence values drawn", row.getLong(1));
                }
            } catch (SQLException e) {
                // Only DLM's table has a sequence.
            }
            values.put("server CPU us, whole server process", mariaDbServerCpuMicros());
            return values;
        }

        private static long parse(String value) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        @Override
        public String details(String table, Map<String, Long> before, Map<String, Long> after, int pairs) {
            return "";
        }
    }
}
