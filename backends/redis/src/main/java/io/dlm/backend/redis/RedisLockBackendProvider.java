package io.dlm.backend.redis;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;

/**
 * Provides the {@code redis} backend ({@code io.dlm:dlm-backend-redis}): locks in Redis,
 * standalone, behind Sentinel or in a Cluster, through Lettuce.
 *
 * <p>Settings (E1a): {@code dlm.redis.uri} (default {@code redis://127.0.0.1:6379}; {@code rediss://}
 * for TLS, user and password in the URI, the database as its path; {@code redis-sentinel://} for
 * Sentinel; a comma-separated list of node URIs for a Cluster), {@code dlm.redis.cluster}
 * ({@code true} for a Cluster reached through one seed URI), {@code dlm.redis.key-prefix} (default
 * {@code dlm:}, no braces), {@code dlm.redis.connect-timeout} (default
 * {@code dlm.operation.timeout}) and {@code dlm.redis.replica-acks} (default 0: how many replicas
 * must confirm an acquisition before it is reported acquired). Unknown {@code dlm.redis.*} keys
 * are logged as a warning (E1a), so that a misspelt one does not fall back to a default unnoticed.
 */
public final class RedisLockBackendProvider implements LockBackendProvider {

    /** The provider name, {@code redis}. */
    public static final String NAME = "redis";

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public RedisLockBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Checks the settings, then connects to Redis within the connect timeout, and logs a warning
     * if Redis may evict the lock keys ({@code maxmemory-policy} other than {@code noeviction}).
     *
     * @throws IllegalArgumentException naming the key of an invalid setting (E1a)
     * @throws io.dlm.LockException with {@code INTERNAL_ERROR} when Redis cannot be reached (X1)
     */
    @Override
    public LockBackend open(BackendContext context) {
        RedisSettings settings = RedisSettings.parse(context);
        RedisConnections connections = RedisConnections.open(settings);
        EvictionCheck.warnIfKeysMayBeEvicted(connections, settings.operationTimeout());
        return new RedisLockBackend(settings, connections);
    }
}
