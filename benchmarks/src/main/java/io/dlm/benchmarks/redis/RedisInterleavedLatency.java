package io.dlm.benchmarks.redis;

import io.dlm.benchmarks.LockTable;
import java.util.Arrays;
import java.util.List;

/**
 * Latency of one uncontended acquire and release pair for each implementation of {@link
 * RedisEngine} (DLM, PEER, RAW), one thread,
 * with the implementations taking turns pair by pair. JMH runs them one after the other, so on a
 * machine whose load changes from minute to minute its scores compare different conditions; here
 * every implementation sees the same moments, which makes the ratios trustworthy even when the
 * absolute numbers are not.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.redis.RedisInterleavedLatency [redis://127.0.0.1:6379] [pairs]
 * }</pre>
 */
public final class RedisInterleavedLatency {

    private RedisInterleavedLatency() {}

    /**
     * Prints p50, p90 and p99 per implementation, in microseconds per pair.
     *
     * @param args optionally the Redis URI and the number of measured pairs per implementation
     */
    public static void main(String[] args) {
        String uri = args.length > 0 ? args[0] : "redis://127.0.0.1:6379";
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        List<String> names = RedisEngine.IMPLEMENTATIONS;
        RedisEngine engine = new RedisEngine(uri);
        LockTable[] tables = new LockTable[names.size()];
        try {
            for (int i = 0; i < tables.length; i++) {
                tables[i] = engine.open(names.get(i));
            }
            long[][] nanos = new long[tables.length][pairs];
            // The first round warms up the JIT and the connections; only the second is kept.
            for (int round = 0; round < 2; round++) {
                for (int n = 0; n < pairs; n++) {
                    for (int i = 0; i < tables.length; i++) {
                        long start = System.nanoTime();
                        if (!tables[i].lock("interleaved", "client", 0) || !tables[i].unlock("interleaved", "client")) {
                            throw new IllegalStateException(names.get(i) + ": pair " + n + " failed");
                        }
                        nanos[i][n] = System.nanoTime() - start;
                    }
                }
            }
            for (int i = 0; i < tables.length; i++) {
                long[] sorted = nanos[i].clone();
                Arrays.sort(sorted);
                System.out.printf(
                        "%-5s p50 %6.0f us  p90 %6.0f us  p99 %7.0f us  (%d pairs)%n",
                        names.get(i),
                        sorted[pairs / 2] / 1e3,
                        sorted[pairs * 9 / 10] / 1e3,
                        sorted[pairs * 99 / 100] / 1e3,
                        pairs);
            }
        } finally {
            for (LockTable open : tables) {
                if (open != null) {
                    open.close();
                }
            }
            engine.close();
        }
    }
}
