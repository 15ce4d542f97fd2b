package io.dlm.benchmarks.redis;

import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The least a correct Redis lock can send, on one shared Lettuce connection: {@code SET key client
 * NX PX 30000} to take it, then {@code EVALSHA} of a script that deletes the key only if it still
 * holds the client. No fencing token, no waiting (it tries once whatever the timeout), no renewal
 * that restores the lease length.
 */
final class SetNxTable implements LockTable {

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    private final String release;
    private final SetArgs nxPx = SetArgs.Builder.nx().px(Engine.LEASE.toMillis());
    // Each resource's key, as the script's KEYS array, made once.
    private final Map<String, String[]> keys = new ConcurrentHashMap<>();

    SetNxTable(String uri) {
        client = RedisClient.create(RedisURI.create(uri));
        connection = client.connect();
        redis = connection.sync();
        release = redis.scriptLoad(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        return "OK".equals(redis.set(key(resourceId)[0], clientId, nxPx));
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        Long deleted = redis.evalsha(release, ScriptOutputType.INTEGER, key(resourceId), clientId);
        return deleted != null && deleted == 1L;
    }

    private String[] key(String resourceId) {
        String[] key = keys.get(resourceId);
        if (key == null) {
            key = new String[] {"lettuce-bench:" + resourceId};
            keys.put(resourceId, key);
        }
        return key;
    }

    @Override
    public boolean waits() {
        return false;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
}
