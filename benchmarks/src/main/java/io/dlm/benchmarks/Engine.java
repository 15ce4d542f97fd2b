package io.dlm.benchmarks;

import io.dlm.LockManagers;
import io.dlm.benchmarks.etcd.EtcdEngine;
import io.dlm.benchmarks.jdbc.JdbcEngine;
import io.dlm.benchmarks.redis.RedisEngine;
import io.dlm.benchmarks.zookeeper.ZooKeeperEngine;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A lock engine as {@link AcquireReleaseBenchmark} and {@link HandoffBenchmark} use it: reached, or
 * started, for one trial, it opens the implementations compared on it by name. Every engine has
 * {@code DLM} (DLM's backend for it), {@code PEER} (the library its users would pick instead) and
 * {@code RAW} (the least a lock on it can send); some have variants besides (see each engine).
 *
 * <table>
 *   <caption>The engines, by the name {@link #start} takes</caption>
 *   <tr><th>engine</th><th>PEER</th><th>RAW</th></tr>
 *   <tr><td>{@code memory}</td><td>a fair {@code ReentrantLock} per key</td><td>{@code LEASE_MAP}</td></tr>
 *   <tr><td>{@code redis}</td><td>Redisson's {@code RLock}</td><td>{@code SET NX PX}, compare-and-delete</td></tr>
 *   <tr><td>{@code postgresql}, {@code mariadb}</td><td>ShedLock's JDBC provider</td><td>an upsert, a delete</td></tr>
 *   <tr><td>{@code etcd}</td><td>jetcd's {@code Lock}</td><td>two transactions</td></tr>
 *   <tr><td>{@code zookeeper}</td><td>Curator's {@code InterProcessMutex}</td><td>a create, a delete</td></tr>
 * </table>
 */
public interface Engine extends AutoCloseable {

    /** The lease every implementation takes on the networked engines (memory's take rule E1's). */
    Duration LEASE = Duration.ofSeconds(30);

    /**
     * Opens an implementation. Each call opens a client of its own (a manager, a pool, a session),
     * as another process would; all opened by one engine share their locks.
     *
     * @param implementation {@code DLM}, {@code PEER}, {@code RAW} or one of the engine's variants
     * @return the open implementation; close it before the engine
     * @throws IllegalArgumentException if the engine has no such implementation
     * @throws IllegalStateException if the engine cannot open it a second time (memory)
     */
    LockTable open(String implementation);

    /**
     * How many resources of its own each thread of {@link AcquireReleaseBenchmark} cycles through.
     *
     * @return at least 1
     */
    int resourcesPerThread();

    /** Stops the engine if the trial started it, and removes what it left there. */
    @Override
    void close();

    /**
     * Reaches or starts an engine for one trial.
     *
     * @param name {@code memory}, {@code redis}, {@code postgresql}, {@code mariadb}, {@code etcd}
     *     or {@code zookeeper}
     * @return the engine
     */
    static Engine start(String name) {
        return switch (name) {
            case "memory" -> new MemoryEngine();
            case "redis" -> RedisEngine.configured();
            case "postgresql" -> JdbcEngine.postgresql();
            case "mariadb" -> JdbcEngine.mariaDb();
            case "etcd" -> EtcdEngine.start();
            case "zookeeper" -> ZooKeeperEngine.start();
            default ->
                throw new IllegalArgumentException(
                        "No engine " + name + ": memory, redis, postgresql, mariadb, etcd or zookeeper");
        };
    }

    /**
     * DLM on one of its backends, with the lease every implementation takes ({@link #LEASE}).
     *
     * @param backend the backend's name, as {@link LockManagers#open} takes it
     * @param settings the backend's settings
     * @return DLM's table
     */
    static LockTable dlm(String backend, Map<String, String> settings) {
        Map<String, String> withLease = new HashMap<>(settings);
        withLease.put("dlm.lease.min", LEASE.toSeconds() + "s");
        return new LockType.DlmTable(LockManagers.open(backend, withLease));
    }

    /**
     * The failure of {@link #open} for a name the engine does not know.
     *
     * @param engine the engine's name
     * @param implementation the name asked for
     * @param known the names it knows
     * @return the exception to throw
     */
    static IllegalArgumentException unknown(String engine, String implementation, List<String> known) {
        return new IllegalArgumentException(engine + " has no implementation " + implementation + ": " + known);
    }
}
