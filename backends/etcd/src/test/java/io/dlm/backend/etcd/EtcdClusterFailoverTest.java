package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * M1 through a member failure: a three-member cluster loses its leader (killed with {@code
 * SIGKILL}) while clients of two managers contend for one lock. Calls in flight may fail with
 * {@code INTERNAL_ERROR} (X1) and are retried as an application would; work goes on, no two
 * clients are ever inside at once, and fencing tokens follow the order of the critical sections.
 */
class EtcdClusterFailoverTest {

    @RegisterExtension
    static final EtcdExtension CLUSTER = EtcdExtension.members(3);

    private static final int WORKERS = 4;

    private final List<Long> tokens = new ArrayList<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicReference<String> inside = new AtomicReference<>();
    private final AtomicInteger acquisitions = new AtomicInteger();
    private final AtomicInteger engineFailures = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile int counter;

    @Test
    void killingTheLeaderDuringAContendedWorkloadKeepsMutualExclusionAndProgress() throws Exception {
        String namespace = "/dlm-test/failover-" + UUID.randomUUID() + "/";
        Map<String, String> settings = Map.of(
                "dlm.etcd.endpoints",
                CLUSTER.endpoints(),
                "dlm.etcd.namespace",
                namespace,
                "dlm.operation.timeout",
                "2s");
        ExecutorService threads = Executors.newFixedThreadPool(WORKERS);
        try (LockManager one = LockManagers.open("etcd", settings);
                LockManager two = LockManagers.open("etcd", settings)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                LockManager manager = i % 2 == 0 ? one : two;
                String client = "worker-" + i;
                workers.add(threads.submit(() -> work(manager, client)));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acquisitions.get() >= 20);

            EtcdMember leader = leader();
            leader.kill();
            int atKill = acquisitions.get();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> acquisitions.get() >= atKill + 40 || !violations.isEmpty());
            stop.set(true);
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(violations).isEmpty();
        assertThat(counter).isEqualTo(acquisitions.get());
        synchronized (tokens) {
            for (int i = 1; i < tokens.size(); i++) {
                assertThat(tokens.get(i))
                        .as("token of critical section %d of %d", i, tokens.size())
                        .isGreaterThan(tokens.get(i - 1));
            }
        }
        System.out.printf(
                "failover: %d critical sections, %d calls failed with INTERNAL_ERROR and were retried%n",
                acquisitions.get(), engineFailures.get());
    }

    private void work(LockManager manager, String client) {
        while (!stop.get()) {
            Optional<Lease> lease;
            try {
                // A short lease: a lock whose acquisition failed half-way expires soon anyway.
                lease = manager.tryAcquire("r", client, Duration.ofSeconds(20), Duration.ofSeconds(5));
            } catch (LockException e) {
                if (e.error() == LockError.RESOURCE_LOCKED) {
                    // An earlier attempt failed with an unknown outcome while the leader died and
                    // did take the lock (X4 allows "as after the call"): L3 refuses the retry, and
                    // the client gives back what it may hold, as a real caller would.
                    releaseAmbiguous(manager, client);
                    continue;
                }
                countFailure(e);
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
            int read = counter;
            Thread.yield();
            counter = read + 1;
            acquisitions.incrementAndGet();
            inside.compareAndSet(client, null);
            release(lease.get());
        }
    }

    private void releaseAmbiguous(LockManager manager, String client) {
        try {
            manager.unlock("r", client);
        } catch (LockException e) {
            countFailure(e);
        }
    }

    /** Releases, retrying after engine failures as U4 allows; {@code false} then means done. */
    private void release(Lease lease) {
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                lease.release();
                return;
            } catch (LockException e) {
                countFailure(e);
            }
        }
        violations.add(lease.clientId() + " could not release after 20 attempts");
    }

    private void countFailure(LockException e) {
        if (e.error() != LockError.INTERNAL_ERROR) {
            violations.add("unexpected " + e);
        }
        engineFailures.incrementAndGet();
    }

    private static EtcdMember leader() {
        for (EtcdMember member : CLUSTER.members()) {
            if (CLUSTER.metric(member, "etcd_server_is_leader", "") == 1.0) {
                return member;
            }
        }
        throw new AssertionError("no member reports being the leader");
    }
}
