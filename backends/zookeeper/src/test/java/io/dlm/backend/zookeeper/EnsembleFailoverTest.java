package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.tck.fault.FencedStore;
import io.dlm.tck.fault.History;
import io.dlm.tck.fault.HistoryChecker;
import java.nio.file.Path;
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
 * M1 and N5 on a real three-member ensemble whose leader is killed while clients in two sessions
 * contend for one resource: calls may fail with {@code INTERNAL_ERROR} during the election, but no
 * two clients are ever inside at once, no update is lost, and the clients lock again once a new
 * leader is elected. Every acquisition and critical section goes into a {@link History} that the
 * fault tier's {@link HistoryChecker} judges: no overlapping valid sections, fencing tokens that
 * never go backwards (F1), writes of a fenced store in token order (M3).
 */
class EnsembleFailoverTest {

    private static final String BASE = TestZooKeeper.basePath(EnsembleFailoverTest.class);
    private TestingCluster cluster;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final History history = new History("EnsembleFailoverTest.leaderKilledUnderContention");
    private final FencedStore store = new FencedStore();

    @BeforeEach
    void start() throws Exception {
        cluster = TestEnsembles.start();
    }

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        threads.awaitTermination(30, TimeUnit.SECONDS);
        cluster.close();
        history.writeTimeline(Path.of("target", "fault-histories"));
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
                    History.Op op = history.call(client, "acquire", "contended");
                    try {
                        lease = manager.tryAcquire("contended", client, Duration.ofSeconds(3), Duration.ofSeconds(20));
                    } catch (LockException e) {
                        op.failed(e);
                        failures.incrementAndGet();
                        assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR);
                        continue;
                    }
                    if (lease.isPresent()) {
                        op.ok(History.ACQUIRED, lease.get().fencingToken());
                    } else {
                        op.ok("not acquired");
                    }
                    if (lease.isEmpty()) {
                        continue;
                    }
                    if (!inside.compareAndSet(null, client)) {
                        violations.add(client + " entered while " + inside.get() + " was inside");
                    }
                    section(client, lease.get());
                    int read = counter[0];
                    Thread.yield();
                    counter[0] = read + 1;
                    section(client, lease.get());
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
        InstanceSpec leader = TestEnsembles.leader(cluster);
        history.note("the leader (port " + leader.getPort() + ") is killed: its in-process server stops at once");
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
        HistoryChecker.assertSafe(history);
        managers.forEach(TestBackends.Opened::close);
    }

    /** A careful holder's critical section: checks its lease, writes with its token, checks again. */
    private void section(String client, Lease lease) {
        boolean before = lease.isValid();
        long beforeReturned = System.nanoTime();
        boolean accepted = before && store.write(lease.resourceId(), lease.fencingToken());
        long afterCalled = System.nanoTime();
        boolean after = lease.isValid();
        history.section(
                client, lease.resourceId(), lease.fencingToken(), before, beforeReturned, accepted, after, afterCalled);
    }

    /** Releases; an unlock that failed may be retried until it says what happened (U4). */
    private void releaseUntilKnown(Lease lease, AtomicInteger failures) {
        for (; ; ) {
            History.Op op = history.call(lease.clientId(), "release", lease.resourceId());
            try {
                op.ok(Boolean.toString(lease.release()), lease.fencingToken());
                return;
            } catch (LockException e) {
                op.failed(e);
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
}
