package io.dlm.benchmarks.redis;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * The Redis locks a benchmark compares, as a JMH {@code @Param}: DLM's {@code redis} backend,
 * Redisson's {@code RLock}, and the least a correct Redis lock can do with Lettuce (a
 * {@code SET NX PX} to take it, a compare-and-delete script to free it). Every lease is 30 s. Keys
 * have fixed prefixes ({@code dlm-bench:}, {@code redisson-bench:}, {@code lettuce-bench:}), so
 * that reruns reuse DLM's few fencing counters instead of leaving new ones behind.
 */
public enum RedisLockType {

    /** DLM: {@code lock(r, c, 0)} and {@code unlock(r, c)}, one Lua script (one round trip) each. */
    DLM {
        @Override
        public Locks open(String uri) {
            LockManager manager = LockManagers.open(
                    "redis",
                    Map.of("dlm.redis.uri", uri, "dlm.redis.key-prefix", "dlm-bench:", "dlm.lease.min", "30s"));
            return new Locks() {
                @Override
                public Client client(String key, String clientId) {
                    return new Client() {
                        @Override
                        public boolean acquire() {
                            return manager.lock(key, clientId, 0);
                        }

                        @Override
                        public boolean release() {
                            return manager.unlock(key, clientId);
                        }
                    };
                }

                @Override
                public void close() {
                    manager.close();
                }
            };
        }
    },

    /**
     * Redisson's {@code RLock} with its default single-server configuration:
     * {@code tryLock(0, 30 s)} and {@code unlock()}. The holder is the calling thread.
     */
    REDISSON {
        @Override
        public Locks open(String uri) {
            Config config = new Config();
            config.useSingleServer().setAddress(uri);
            RedissonClient redisson = Redisson.create(config);
            String prefix = "redisson-bench:";
            return new Locks() {
                @Override
                public Client client(String key, String clientId) {
                    RLock lock = redisson.getLock(prefix + key);
                    return new Client() {
                        @Override
                        public boolean acquire() {
                            try {
                                return lock.tryLock(0, LEASE.toMillis(), TimeUnit.MILLISECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException(e);
                            }
                        }

                        @Override
                        public boolean release() {
                            lock.unlock();
                            return true;
                        }
                    };
                }

                @Override
                public void close() {
                    redisson.shutdown();
                }
            };
        }
    },

    /**
     * The minimum on one shared Lettuce connection: {@code SET key token NX PX 30000}, then
     * {@code EVALSHA} of a script that deletes the key only if it still holds the token. No
     * fencing token, no waiting, no renewal that restores the lease length.
     */
    LETTUCE_SET_NX {
        @Override
        public Locks open(String uri) {
            RedisClient client = RedisClient.create(RedisURI.create(uri));
            StatefulRedisConnection<String, String> connection = client.connect();
            RedisCommands<String, String> redis = connection.sync();
            String release = redis.scriptLoad(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");
            SetArgs nxPx = SetArgs.Builder.nx().px(LEASE.toMillis());
            String prefix = "lettuce-bench:";
            return new Locks() {
                @Override
                public Client client(String key, String clientId) {
                    String[] keys = {prefix + key};
                    return new Client() {
                        @Override
                        public boolean acquire() {
                            return "OK".equals(redis.set(keys[0], clientId, nxPx));
                        }

                        @Override
                        public boolean release() {
                            Long deleted = redis.evalsha(release, ScriptOutputType.INTEGER, keys, clientId);
                            return deleted != null && deleted == 1L;
                        }
                    };
                }

                @Override
                public void close() {
                    connection.close();
                    client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
                }
            };
        }
    };

    /** The lease every implementation takes. */
    static final Duration LEASE = Duration.ofSeconds(30);

    /**
     * Connects to Redis.
     *
     * @param uri e.g. {@code redis://127.0.0.1:6379}
     * @return the open implementation; close it when done
     */
    public abstract Locks open(String uri);

    /** An open implementation, shared by the benchmark's threads. */
    public interface Locks extends AutoCloseable {
        /**
         * A handle on one key for one client, prepared up front so that calls allocate little.
         *
         * @param key the resource
         * @param clientId the holder's id (Redisson ignores it: its holder is the thread)
         * @return the handle
         */
        Client client(String key, String clientId);

        @Override
        void close();
    }

    /** One client's lock on one key. */
    public interface Client {
        /**
         * Tries once to take the lock, without waiting.
         *
         * @return whether it was taken
         */
        boolean acquire();

        /**
         * Releases the lock.
         *
         * @return whether a lease of this client was released
         */
        boolean release();
    }
}
