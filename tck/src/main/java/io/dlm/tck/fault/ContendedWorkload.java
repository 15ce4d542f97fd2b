package io.dlm.tck.fault;

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
import org.awaitility.Awaitility;

/**
 * Clients of several managers contending for one resource while a test breaks the engine under
 * them (a cluster member killed, a leader lost, a member restarted): the workload of a backend's
 * failover test (M1, N5, F1, X1). Each client acquires, enters a critical section, updates a
 * counter that only the lock protects, and releases; calls that fail with {@code INTERNAL_ERROR}
 * are retried as an application would. Every call and section is recorded in the {@link Recorder}.
 *
 * <pre>{@code
 * try (ContendedWorkload work = ContendedWorkload.start(recorder, List.of(one, two), 2, "r", wait, lease)) {
 *     work.awaitSections(20, Duration.ofSeconds(30));
 *     killTheLeader();
 *     work.awaitSections(work.sections() + 40, Duration.ofSeconds(60));
 *     work.stop();
 *     work.assertSafe();
 * }
 * }</pre>
 */
public final class ContendedWorkload implements AutoCloseable {

    /** Releases tried after engine failures before the workload calls it a violation (U4). */
    private static final int RELEASE_ATTEMPTS = 20;

    private final Recorder recorder;
    private final String resource;
    private final Duration wait;
    private final Duration lease;
    private final ExecutorService threads;
    private final List<Future<?>> workers = new ArrayList<>();
    private final List<Long> tokens = new ArrayList<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicReference<String> inside = new AtomicReference<>();
    private final AtomicInteger sections = new AtomicInteger();
    private final AtomicInteger engineFailures = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile int counter;

    private ContendedWorkload(Recorder recorder, String resource, Duration wait, Duration lease, int clients) {
        this.recorder = recorder;
        this.resource = resource;
        this.wait = wait;
        this.lease = lease;
        this.threads = Executors.newFixedThreadPool(clients);
    }

    /**
     * Starts the clients, {@code clientsPerManager} on each manager, named {@code worker-0} and up.
     *
     * @param recorder records every call and section
     * @param managers the managers the clients use, e.g. two, as two processes would
     * @param clientsPerManager how many clients each manager serves
     * @param resource the one resource they contend for
     * @param wait how long each acquisition waits
     * @param lease the lease each acquisition asks for; short, so that an acquisition whose outcome
     *     stayed unknown does not keep the resource long
     * @return the running workload
     */
    public static ContendedWorkload start(
            Recorder recorder,
            List<LockManager> managers,
            int clientsPerManager,
            String resource,
            Duration wait,
            Duration lease) {
        int clients = managers.size() * clientsPerManager;
        ContendedWorkload workload = new ContendedWorkload(recorder, resource, wait, lease, clients);
        for (int i = 0; i < clients; i++) {
            LockManager manager = managers.get(i % managers.size());
            String client = "worker-" + i;
            workload.workers.add(workload.threads.submit(() -> workload.work(manager, client)));
        }
        return workload;
    }

    /**
     * How many critical sections have ended so far.
     *
     * @return the count
     */
    public int sections() {
        return sections.get();
    }

    /**
     * How many calls failed with {@code INTERNAL_ERROR} and were retried.
     *
     * @return the count
     */
    public int engineFailures() {
        return engineFailures.get();
    }

    /**
     * Waits until {@code count} critical sections have ended, or a violation was seen.
     *
     * @param count the sections to wait for, counted from the start
     * @param within how long the clients may take
     */
    public void awaitSections(int count, Duration within) {
        Awaitility.await()
                .atMost(within)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> sections.get() >= count || !violations.isEmpty());
    }

    /**
     * Stops the clients once their current step ends, and waits for them.
     *
     * @throws Exception if a client threw, or did not end in time
     */
    public void stop() throws Exception {
        stop.set(true);
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * M1 and F1: no client ever entered while another was inside, no update of the counter was
     * lost, the tokens of the sections grew in the order of the sections, and the history checker
     * finds every valid section alone and every fenced write in token order.
     */
    public void assertSafe() {
        assertThat(violations).isEmpty();
        assertThat(counter).as("updates under the lock").isEqualTo(sections.get());
        synchronized (tokens) {
            for (int i = 1; i < tokens.size(); i++) {
                assertThat(tokens.get(i))
                        .as("token of critical section %d of %d", i, tokens.size())
                        .isGreaterThan(tokens.get(i - 1));
            }
        }
        HistoryChecker.assertSafe(recorder.history());
    }

    /** Stops the clients' threads at once: for a test that failed before {@link #stop()}. */
    @Override
    public void close() {
        stop.set(true);
        threads.shutdownNow();
    }

    private void work(LockManager manager, String client) {
        while (!stop.get()) {
            Optional<Lease> acquired;
            try {
                acquired = recorder.acquire(manager, client, resource, wait, lease);
            } catch (LockException e) {
                if (e.error() == LockError.RESOURCE_LOCKED) {
                    // An earlier attempt failed with an unknown outcome while the engine broke and
                    // did take the lock (X4 allows "as after the call"): L3 refuses the retry, and
                    // the client gives back what it may hold, as a real caller would.
                    unlockAmbiguous(manager, client);
                    continue;
                }
                countFailure(e);
                continue;
            }
            if (acquired.isEmpty()) {
                continue;
            }
            Lease held = acquired.get();
            if (!inside.compareAndSet(null, client)) {
                violations.add(client + " entered while " + inside.get() + " was inside");
            }
            synchronized (tokens) {
                tokens.add(held.fencingToken());
            }
            recorder.section(client, held);
            int read = counter;
            Thread.yield();
            counter = read + 1;
            recorder.section(client, held);
            sections.incrementAndGet();
            inside.compareAndSet(client, null);
            release(held);
        }
    }

    private void unlockAmbiguous(LockManager manager, String client) {
        History.Op op = recorder.history().call(client, "unlock", resource);
        try {
            op.ok(Boolean.toString(manager.unlock(resource, client)));
        } catch (LockException e) {
            op.failed(e);
            countFailure(e);
        }
    }

    /** Releases, retrying after engine failures as U4 allows; {@code false} then means done. */
    private void release(Lease held) {
        for (int attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
            try {
                recorder.release(held.clientId(), held);
                return;
            } catch (LockException e) {
                countFailure(e);
            }
        }
        violations.add(held.clientId() + " could not release after " + RELEASE_ATTEMPTS + " attempts");
    }

    private void countFailure(LockException e) {
        if (e.error() != LockError.INTERNAL_ERROR) {
            violations.add("unexpected " + e);
        }
        engineFailures.incrementAndGet();
    }
}
