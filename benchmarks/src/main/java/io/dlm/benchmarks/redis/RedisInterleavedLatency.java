package io.dlm.benchmarks.redis;

import java.util.Arrays;

/**
 * Latency of one uncontended acquire and release pair for each {@link RedisLockType}, one thread,
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
        RedisLockType[] types = RedisLockType.values();
        RedisLockType.Locks[] locks = new RedisLockType.Locks[types.length];
        RedisLockType.Client[] clients = new RedisLockType.Client[types.length];
        try {
            for (int i = 0; i < types.length; i++) {
                locks[i] = types[i].open(uri);
                clients[i] = locks[i].client("interleaved", "client");
            }
            long[][] nanos = new long[types.length][pairs];
            // The first round warms up the JIT and the connections; only the second is kept.
            for (int round = 0; round < 2; round++) {
                for (int n = 0; n < pairs; n++) {
                    for (int i = 0; i < types.length; i++) {
                        long start = System.nanoTime();
                        if (!clients[i].acquire() || !clients[i].release()) {
                            throw new IllegalStateException(types[i] + ": pair " + n + " failed");
                        }
                        nanos[i][n] = System.nanoTime() - start;
                    }
                }
            }
            for (int i = 0; i < types.length; i++) {
                long[] sorted = nanos[i].clone();
                Arrays.sort(sorted);
                System.out.printf(
                        "%-15s p50 %6.0f us  p90 %6.0f us  p99 %7.0f us  (%d pairs)%n",
                        types[i],
                        sorted[pairs / 2] / 1e3,
                        sorted[pairs * 9 / 10] / 1e3,
                        sorted[pairs * 99 / 100] / 1e3,
                        pairs);
            }
        } finally {
            for (RedisLockType.Locks open : locks) {
                if (open != null) {
                    open.close();
                }
            }
        }
    }
}
