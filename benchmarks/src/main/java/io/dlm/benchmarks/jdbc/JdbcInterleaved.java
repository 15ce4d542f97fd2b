package io.dlm.benchmarks.jdbc;

import io.dlm.benchmarks.LockTable;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Uncontended acquire + release pairs of every implementation of {@link JdbcEngine} on the
 * database of {@code -Ddlm.bench.jdbc.url} ({@link BenchDatabase#configured()}), taking turns: each round runs
 * each implementation for a few seconds with the same number of threads, so that a change of the
 * machine's load between them (builds, other benchmarks) lands on all of them, not on whichever
 * JMH happened to run then. Prints pairs per second per round and on average, and the CPU per pair
 * of the client (this JVM) and of the server: on PostgreSQL, of the backends of the database, so
 * give it a database of its own; on MariaDB, of the whole server process (read from {@code /proc},
 * so the database must run on this host). The first round warms up and is not
 * counted. Same resources and pools as {@code AcquireReleaseBenchmark} on this engine.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.jdbc.JdbcInterleaved 8 4 4   # threads, seconds, rounds
 * }</pre>
 */
public final class JdbcInterleaved {

    private JdbcInterleaved() {}

    /**
     * Runs the rounds.
     *
     * @param args threads (default 1), seconds per turn (default 4), rounds (default 4)
     * @throws Exception when the database fails
     */
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        BenchDatabase database = BenchDatabase.configured();
        JdbcEngine engine = new JdbcEngine(database);
        Map<String, LockTable> open = new LinkedHashMap<>();
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Connection monitor = DriverManager.getConnection(database.url(), database.user(), database.password())) {
            for (String name : JdbcEngine.IMPLEMENTATIONS) {
                open.put(name, engine.open(name));
            }
            for (int round = 0; round <= rounds; round++) {
                for (Map.Entry<String, LockTable> implementation : open.entrySet()) {
                    double[] turn = turn(
                            pool,
                            implementation.getValue(),
                            threads,
                            engine.resourcesPerThread(),
                            database,
                            monitor,
                            round == 0 ? 1 : seconds);
                    if (round > 0) {
                        results.computeIfAbsent(implementation.getKey(), k -> new ArrayList<>())
                                .add(turn);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
            for (LockTable table : open.values()) {
                table.close();
            }
            engine.close();
        }
        for (Map.Entry<String, List<double[]>> result : results.entrySet()) {
            double[] sum = new double[3];
            StringBuilder perRound = new StringBuilder();
            for (double[] turn : result.getValue()) {
                perRound.append(String.format(Locale.ROOT, " %,.0f", turn[0]));
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += turn[i];
                }
            }
            int n = result.getValue().size();
            System.out.printf(
                    Locale.ROOT,
                    "%-9s %d thread(s): %,8.0f pairs/s (rounds:%s); CPU per pair: client %.1f us, server %.1f us%n",
                    result.getKey(),
                    threads,
                    sum[0] / n,
                    perRound,
                    sum[1] / n,
                    sum[2] / n);
        }
    }

    /** One turn: pairs per second, client and server CPU microseconds per pair. */
    private static double[] turn(
            ExecutorService pool,
            LockTable table,
            int threads,
            int resources,
            BenchDatabase database,
            Connection monitor,
            int seconds)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder pairs = new LongAdder();
        long clientCpu = processCpuNanos();
        long serverCpu = serverCpuMicros(database, monitor);
        long start = System.nanoTime();
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String client = "client-" + t;
            String[] own = new String[resources];
            for (int r = 0; r < resources; r++) {
                own[r] = "resource-" + t + "-" + r;
            }
            running.add(pool.submit(() -> {
                for (int next = 0; !stop.get(); next = (next + 1) % own.length) {
                    if (!table.lock(own[next], client, 0) || !table.unlock(own[next], client)) {
                        throw new IllegalStateException("an uncontended pair failed");
                    }
                    pairs.increment();
                }
            }));
        }
        TimeUnit.SECONDS.sleep(seconds);
        stop.set(true);
        for (Future<?> thread : running) {
            thread.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double n = Math.max(1, pairs.sum());
        return new double[] {
            pairs.sum() / elapsed,
            (processCpuNanos() - clientCpu) / 1e3 / n,
            (serverCpuMicros(database, monitor) - serverCpu) / n
        };
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * CPU of the other backends of this database (PostgreSQL on this host), or of the whole
     * MariaDB server process: either way, use a database, or a server, of its own.
     */
    private static long serverCpuMicros(BenchDatabase database, Connection monitor) throws SQLException {
        if (database.isMariaDb()) {
            return JdbcPairCost.mariaDbServerCpuMicros();
        }
        long micros = 0;
        try (Statement statement = monitor.createStatement();
                ResultSet row = statement.executeQuery("SELECT pid FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
            while (row.next()) {
                micros += JdbcPairCost.procCpuMicros("/proc/" + row.getInt(1) + "/stat");
            }
        }
        return micros;
    }
}
