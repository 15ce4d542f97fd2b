package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import java.util.List;
import java.util.Map;

/**
 * The {@code etcd} engine, a single-member etcd that the engine starts for the trial ({@link
 * LocalEtcd}): {@code DLM} is DLM's {@code etcd} backend, every lock with its own lease and TTL;
 * {@code PEER} jetcd's {@code Lock} client (etcd's server-side lock service) with one lease per
 * client, granted once (an etcd "session"), so that all locks of a client share one TTL; {@code
 * RAW} two bare transactions on the same kind of session lease ({@link RawTxnTable}). Variants:
 * {@code PEER_OWN_LEASE}, jetcd's {@code Lock} with what DLM gives, a lease per lock (grant, lock,
 * revoke); {@code RAW_KEEPALIVE}, {@code RAW} with a keep-alive of a lease per lock sent beside the
 * acquiring transaction, what a TTL per lock costs at least.
 */
public final class EtcdEngine implements Engine {

    /** The implementations, in the order {@link EtcdPairCost} runs them when it is given none. */
    static final List<String> IMPLEMENTATIONS = List.of("DLM", "PEER", "PEER_OWN_LEASE", "RAW", "RAW_KEEPALIVE");

    /** How long a session lease lives; longer than a whole benchmark run, so it needs no keep-alive. */
    static final long SESSION_LEASE_SECONDS = 3_600;

    private final LocalEtcd server;

    private EtcdEngine(LocalEtcd server) {
        this.server = server;
    }

    /**
     * Starts an etcd for one trial.
     *
     * @return the engine
     */
    public static EtcdEngine start() {
        return new EtcdEngine(LocalEtcd.start());
    }

    @Override
    public LockTable open(String implementation) {
        String endpoint = server.endpoint();
        return switch (implementation) {
            case "DLM" ->
                Engine.dlm("etcd", Map.of("dlm.etcd.endpoints", endpoint, "dlm.etcd.namespace", "/dlm-bench/"));
            case "PEER" -> new JetcdLockTable(endpoint, false);
            case "PEER_OWN_LEASE" -> new JetcdLockTable(endpoint, true);
            case "RAW" -> new RawTxnTable(endpoint, false);
            case "RAW_KEEPALIVE" -> new RawTxnTable(endpoint, true);
            default -> throw Engine.unknown("etcd", implementation, IMPLEMENTATIONS);
        };
    }

    /** The server, for {@link EtcdPairCost}'s counters. */
    LocalEtcd server() {
        return server;
    }

    @Override
    public int resourcesPerThread() {
        return 1 << 10;
    }

    @Override
    public void close() {
        server.close();
    }
}
