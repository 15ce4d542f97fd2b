package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an uncontended acquire and release send to ZooKeeper, counted by the server itself through
 * the four-letter word {@code mntr} on a server of this class's own: requests received, writes
 * (transactions, each a log append and its share of a sync), reads, and node changes. The counts
 * pin the design's round-trip budget, which is what makes a pair cheaper than Curator's {@code
 * InterProcessMutex} (a create, a read of the siblings and a delete: 3 requests).
 */
class ZooKeeperRoundTripTest {

    private static final String BASE = TestZooKeeper.basePath(ZooKeeperRoundTripTest.class);

    /** Requests received, writes, reads, and changes to nodes (a create touches its parent too). */
    private static final String[] COUNTERS = {
        "zk_packets_received", "zk_cnt_updatelatency", "zk_cnt_readlatency", "zk_outstanding_changes_queued"
    };

    private static TestingServer server;

    @BeforeAll
    static void start() {
        server = TestZooKeeper.start(-1);
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
    }

    @Test
    void anUncontendedPairIsTwoTransactionsOfTwoOperations() {
        try (TestBackends.Opened zk = openWarm()) {
            LockManager manager = zk.manager();
            Map<String, Long> before = counters();
            int pairs = 50;
            for (int i = 0; i < pairs; i++) {
                assertThat(manager.lock("r" + i, "c", 0)).isTrue();
                assertThat(manager.unlock("r" + i, "c")).isTrue();
            }
            assertTwoTransactionsPerPair(since(before), pairs);
        }
    }

    /** Eight threads on one manager, each on its own resource: the same two writes per pair. */
    @Test
    void eightThreadsOnOneSessionSendTheSameTwoTransactionsPerPair() throws Exception {
        try (TestBackends.Opened zk = openWarm()) {
            LockManager manager = zk.manager();
            int threads = 8;
            int pairs = 25;
            Map<String, Long> before = counters();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String resource = "t" + t;
                    String client = "c" + t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < pairs; i++) {
                            assertThat(manager.lock(resource, client, 0)).isTrue();
                            assertThat(manager.unlock(resource, client)).isTrue();
                        }
                    }));
                }
                for (Future<?> each : done) {
                    each.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTwoTransactionsPerPair(since(before), threads * pairs);
        }
    }

    /** A manager whose first lock and release, which set up its session and base path, are done. */
    private static TestBackends.Opened openWarm() {
        TestBackends.Opened zk = TestBackends.open(server.getConnectString(), BASE, "dlm.lease.min", "30s");
        try {
            assertThat(zk.manager().lock("warm-up", "c", 0)).isTrue();
            assertThat(zk.manager().unlock("warm-up", "c")).isTrue();
            return zk;
        } catch (RuntimeException | Error e) {
            zk.close();
            throw e;
        }
    }

    /**
     * What the server counted for {@code pairs} locks and releases: two transactions each, create
     * lock and key node (the lock node's create2 result carries the token), delete key node and
     * lock node at its version. No read, no stamp.
     */
    private static void assertTwoTransactionsPerPair(Map<String, Long> sent, int pairs) {
        assertThat(sent.get("zk_cnt_updatelatency")).as("writes").isEqualTo(2L * pairs);
        assertThat(sent.get("zk_cnt_readlatency")).as("reads").isZero();
        // A create or delete changes its node and its parent: 2 + 2 per transaction.
        assertThat(sent.get("zk_outstanding_changes_queued")).as("node changes").isEqualTo(8L * pairs);
        // Requests: the two transactions, and at most a ping or two if the loop was slow.
        assertThat(sent.get("zk_packets_received")).as("requests").isBetween(2L * pairs, 2L * pairs + 2);
    }

    private static Map<String, Long> since(Map<String, Long> before) {
        Map<String, Long> after = counters();
        Map<String, Long> difference = new HashMap<>();
        after.forEach((name, value) -> difference.put(name, value - before.get(name)));
        return difference;
    }

    private static Map<String, Long> counters() {
        Map<String, Long> values = new HashMap<>();
        for (String line :
                TestZooKeeper.fourLetterWord(server.getPort(), "mntr").split("\n")) {
            String[] nameAndValue = line.split("\t");
            for (String counter : COUNTERS) {
                if (nameAndValue.length == 2 && nameAndValue[0].equals(counter)) {
                    values.put(counter, (long) Double.parseDouble(nameAndValue[1]));
                }
            }
        }
        assertThat(values).containsOnlyKeys(COUNTERS);
        return values;
    }
}
