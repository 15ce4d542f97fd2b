package io.dlm.benchmarks.redis;

import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Redisson's {@code RLock} with its default single-server configuration: {@code tryLock(timeout,
 * 30 s)} and {@code unlock()}, one {@code RLock} per resource, kept. The holder is the calling
 * thread; client ids are ignored. Not fair: a thread asking again at once may take a lock back
 * before the waiter its release woke.
 */
final class RedissonTable implements LockTable {

    private final RedissonClient redisson;
    private final Map<String, RLock> locks = new ConcurrentHashMap<>();
    private final Function<String, RLock> create;

    RedissonTable(String uri) {
        Config config = new Config();
        config.useSingleServer().setAddress(uri);
        redisson = Redisson.create(config);
        create = resource -> redisson.getLock("redisson-bench:" + resource);
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        try {
            return locks.computeIfAbsent(resourceId, create)
                    .tryLock(timeoutMillis, Engine.LEASE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        RLock lock = locks.get(resourceId);
        if (lock == null) {
            return false;
        }
        // Throws if this thread does not hold it; asking first would cost a round trip.
        lock.unlock();
        return true;
    }

    @Override
    public boolean fifo() {
        return false;
    }

    @Override
    public void close() {
        redisson.shutdown();
    }
}
