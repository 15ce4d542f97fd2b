package io.dlm.benchmarks.zookeeper;

import io.dlm.benchmarks.Engine;
import io.dlm.benchmarks.LockTable;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.apache.curator.utils.CloseableUtils;

/**
 * The {@code zookeeper} engine, an in-process ZooKeeper 3.9 server ({@code curator-test}'s {@link
 * TestingServer}) that the engine starts for the trial and that syncs its transaction log like a
 * production server unless {@code -Dzookeeper.forceSync=no}: {@code DLM} is DLM's {@code
 * zookeeper} backend, one transaction per call; {@code PEER} Curator's {@code InterProcessMutex}
 * ({@link CuratorTable}); {@code RAW} a bare create and delete ({@link CreateDeleteTable}). Variant:
 * {@code PEER_SEMAPHORE}, Curator's {@code InterProcessSemaphoreMutex}, the non-reentrant mutex.
 * Neither Curator recipe has a lease: a lock lives as long as its session.
 */
public final class ZooKeeperEngine implements Engine {

    /** The implementations it opens. */
    static final List<String> IMPLEMENTATIONS = List.of("DLM", "PEER", "PEER_SEMAPHORE", "RAW");

    private final TestingServer server;

    private ZooKeeperEngine(TestingServer server) {
        this.server = server;
    }

    /**
     * Starts a server for one trial.
     *
     * @return the engine
     */
    public static ZooKeeperEngine start() {
        try {
            return new ZooKeeperEngine(new TestingServer(true));
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start ZooKeeper for the benchmark", e);
        }
    }

    @Override
    public LockTable open(String implementation) {
        String connect = server.getConnectString();
        return switch (implementation) {
            case "DLM" ->
                Engine.dlm(
                        "zookeeper", Map.of("dlm.zookeeper.connect", connect, "dlm.zookeeper.base-path", "/dlm-bench"));
            case "PEER" -> new CuratorTable(client(connect), false);
            case "PEER_SEMAPHORE" -> new CuratorTable(client(connect), true);
            case "RAW" -> new CreateDeleteTable(client(connect));
            default -> throw Engine.unknown("zookeeper", implementation, IMPLEMENTATIONS);
        };
    }

    /** A started Curator client of its own: one ZooKeeper session. */
    private static CuratorFramework client(String connect) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .retryPolicy(new RetryNTimes(3, 50))
                .build();
        client.start();
        return client;
    }

    @Override
    public int resourcesPerThread() {
        return 1;
    }

    @Override
    public void close() {
        CloseableUtils.closeQuietly(server);
    }
}
