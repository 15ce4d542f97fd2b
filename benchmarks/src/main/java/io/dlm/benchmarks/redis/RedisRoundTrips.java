package io.dlm.benchmarks.redis;

import io.dlm.benchmarks.LockTable;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the commands each implementation of {@link RedisEngine} sends to Redis per acquire and
 * release pair, from
 * the server's own {@code INFO commandstats}: the check that an operation is one round trip.
 * Run it alone on the server, as other clients' commands would be counted too.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.redis.RedisRoundTrips [redis://127.0.0.1:6379]
 * }</pre>
 */
public final class RedisRoundTrips {

    private static final int PAIRS = 2_000;

    private RedisRoundTrips() {}

    /**
     * Prints, for each implementation, the commands per pair by name.
     *
     * @param args optionally the Redis URI
     */
    public static void main(String[] args) {
        String uri = args.length > 0 ? args[0] : "redis://127.0.0.1:6379";
        RedisClient admin = RedisClient.create(RedisURI.create(uri));
        try (StatefulRedisConnection<String, String> connection = admin.connect()) {
            RedisEngine engine = new RedisEngine(uri);
            for (String name : RedisEngine.IMPLEMENTATIONS) {
                try (LockTable table = engine.open(name)) {
                    run(table, 100);
                    Map<String, Long> before = calls(connection.sync().info("commandstats"));
                    run(table, PAIRS);
                    Map<String, Long> after = calls(connection.sync().info("commandstats"));
                    StringBuilder line = new StringBuilder(String.format("%-5s", name));
                    after.forEach((command, count) -> {
                        long delta = count - before.getOrDefault(command, 0L) - (command.equals("info") ? 1 : 0);
                        if (delta > 0) {
                            line.append(String.format(" %s=%.2f", command, (double) delta / PAIRS));
                        }
                    });
                    System.out.println(line + "  (commands per acquire+release pair)");
                }
            }
        } finally {
            admin.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    private static void run(LockTable table, int pairs) {
        for (int i = 0; i < pairs; i++) {
            if (!table.lock("round-trips", "client", 0) || !table.unlock("round-trips", "client")) {
                throw new IllegalStateException("pair " + i + " failed");
            }
        }
    }

    /** {@code cmdstat_<name>:calls=<n>,...} lines into name to calls. */
    private static Map<String, Long> calls(String info) {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                int start = line.indexOf("calls=") + "calls=".length();
                int end = line.indexOf(',', start);
                calls.put(name, Long.parseLong(line.substring(start, end)));
            }
        }
        return calls;
    }
}
