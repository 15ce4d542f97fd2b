package io.dlm.benchmarks.redis;

import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import java.util.List;
import java.util.Map;

/**
 * The {@code redis} engine, a Redis the benchmarks do not start ({@code -Ddlm.bench.redis.uri},
 * default {@code redis://127.0.0.1:6379}): {@code DLM} is DLM's {@code redis} backend (one Lua
 * script, one round trip, per call), {@code PEER} Redisson's {@code RLock} ({@link RedissonTable}),
 * {@code RAW} a {@code SET NX PX} and a compare-and-delete on Lettuce ({@link SetNxTable}). Keys
 * have fixed prefixes ({@code dlm-bench:}, {@code redisson-bench:}, {@code lettuce-bench:}), so
 * that reruns reuse DLM's few fencing counters instead of leaving new ones behind.
 */
public final class RedisEngine implements Engine {

    /** The implementations, in the order the plain programs of this package run them. */
    static final List<String> IMPLEMENTATIONS = List.of("DLM", "PEER", "RAW");

    private final String uri;

    /**
     * An engine on a Redis already running.
     *
     * @param uri e.g. {@code redis://127.0.0.1:6379}
     */
    public RedisEngine(String uri) {
        this.uri = uri;
    }

    /**
     * The Redis of {@code -Ddlm.bench.redis.uri}.
     *
     * @return the engine
     */
    public static RedisEngine configured() {
        return new RedisEngine(System.getProperty("dlm.bench.redis.uri", "redis://127.0.0.1:6379"));
    }

    @Override
    public LockTable open(String implementation) {
        return switch (implementation) {
            case "DLM" -> Engine.dlm("redis", Map.of("dlm.redis.uri", uri, "dlm.redis.key-prefix", "dlm-bench:"));
            case "PEER" -> new RedissonTable(uri);
            case "RAW" -> new SetNxTable(uri);
            default -> throw Engine.unknown("redis", implementation, IMPLEMENTATIONS);
        };
    }

    @Override
    public int resourcesPerThread() {
        return 1;
    }

    @Override
    public void close() {
        // The server is not the trial's.
    }
}
