package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * M1 on a real three-member ensemble whose leader is killed while clients in two sessions contend
 * for one resource: calls may fail with {@code INTERNAL_ERROR} during the election, but no two
 * clients are ever inside at once, no update is lost, fencing tokens grow in acquisition order,
 * and the clients lock again once a new leader is elected.
 */
class EnsembleFailoverTest {

    private static final String BASE = TestZooKeeper.basePath(EnsembleFailoverTest.class);
    private TestingCluster cluster;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws Exception {
        cluster = new TestingCluster(3);
        cluster.start();
    }

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        threads.awaitTermination(30, TimeUnit.SECONDS);
        cluster.close();
    }

    @Test
    void killingTheLeaderUnderContentionNeverLetsTwoClientsIn() throws Exception {
        List<TestBackends.Opened> managers = List.of(open(), open());
        for (TestBackends.Opened manager : managers) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .ignoreException(LockException.class)
                    .until(() -> manager.manager().inspect("warm-up").isEmpty());
        }
        AtomicReference<String> inside = new AtomicReference<>();
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        List<Long> tokens = new ArrayList<>();
        int[] counter = {0};
        AtomicInteger entries = new AtomicInteger();
        AtomicInteger entriesAfterKill = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        long end = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            LockManager manager = managers.get(t % 2).manager();
            String client = "worker-" + t;
            workers.add(threads.submit(() -> {
                while (System.nanoTime() < end && entriesAfterKill.get() < 40) {
                    Optional<Lease> lease;
                    try {
                        lease = manager.tryAcquire("contended", client, Duration.ofSeconds(3), Duration.ofSeconds(20));
                    } catch (LockException e) {
                        failures.incrementAndGet();
                        assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR);
                        continue;
                    }
                    if (lease.isEmpty()) {
                        continue;
                    }
                    if (!inside.compareAndSet(null, client)) {
                        violations.add(client + " entered while " + inside.get() + " was inside");
                    }
                    synchronized (tokens) {
                        tokens.add(lease.get().fencingToken());
                    }
                    int read = counter[0];
                    Thread.yield();
                    counter[0] = read + 1;
                    entries.incrementAndGet();
                    if (killed.get()) {
                        entriesAfterKill.incrementAndGet();
                    }
                    inside.compareAndSet(client, null);
                    releaseUntilKnown(lease.get(), failures);
                }
                return null;
            }));
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> entries.get() >= 20);
        InstanceSpec leader = leader();
        assertThat(cluster.killServer(leader)).isTrue();
        killed.set(true);
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        System.out.printf(
                "ensemble failover: %d acquisitions, %d after killing the leader, %d calls failed meanwhile%n",
                entries.get(), entriesAfterKill.get(), failures.get());
        assertThat(violations).isEmpty();
        assertThat(counter[0]).as("updates under the lock").isEqualTo(entries.get());
        assertThat(entriesAfterKill.get())
                .as("acquisitions after the leader died")
                .isPositive();
        synchronized (tokens) {
            for (int i = 1; i < tokens.size(); i++) {
                assertThat(tokens.get(i)).as("token %d of %s", i, tokens).isGreaterThan(tokens.get(i - 1));
            }
        }
        managers.forEach(TestBackends.Opened::close);
    }

    /** Releases; an unlock that failed may be retried until it says what happened (U4). */
    private static void releaseUntilKnown(Lease lease, AtomicInteger failures) {
        for (; ; ) {
            try {
                lease.release();
                return;
            } catch (LockException e) {
                failures.incrementAndGet();
            }
        }
    }

    private TestBackends.Opened open() {
        return TestBackends.open(
                cluster.getConnectString(),
                BASE,
                "dlm.operation.timeout",
                "3s",
                "dlm.zookeeper.connection-timeout",
                "2s");
    }

    private InstanceSpec leader() {
        for (InstanceSpec spec : cluster.getInstances()) {
            if (TestZooKeeper.fourLetterWord(spec.getPort(), "srvr").contains("Mode: leader")) {
                return spec;
            }
        }
        throw new AssertionError("no leader in " + cluster.getInstances());
    }
}
