package io.dlm.tck.fault;

import static io.dlm.tck.fault.TestThreads.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.support.RunsAlone;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's fault tier (SPEC "Faults") for a backend with no engine across a network to cut, slow
 * down or pause (the in-memory backend, an embedded database): the faults that need no network,
 * holders pausing past their leases, checked by the one {@link HistoryChecker} (M1, K2). A remote
 * backend's test extends {@link LockManagerFaultTck} instead, which runs these tests too.
 *
 * <pre>{@code
 * class MemoryFaultTest extends InProcessFaultTck {
 *     protected String backendName() { return "memory"; }
 * }
 * }</pre>
 *
 * <p>Every test writes its timeline to {@code target/fault-histories/}, passed or failed, so a
 * failing run can be read afterwards. Timings scale with {@link TckTimings}.
 */
@RunsAlone
public abstract class InProcessFaultTck {

    /** What every test of the tier records and judges, and what it closes afterwards. */
    @RegisterExtension
    final FaultRecording recording = new FaultRecording();

    /** For subclasses: a backend's fault test class. */
    protected InProcessFaultTck() {}

    /**
     * The provider name the tier opens managers with, in this JVM and in forked holders.
     *
     * @return e.g. {@code memory}
     */
    protected abstract String backendName();

    /**
     * Settings every manager of the backend needs besides where its engine is: for an in-process
     * backend, all of them (e.g. an embedded database's URL and table).
     *
     * @return plain values, empty by default
     */
    protected Map<String, String> properties() {
        return Map.of();
    }

    /**
     * The engine's lease granularity, as in the rule TCK (E1): leases are rounded up to it.
     *
     * @return {@code 1 ns} by default
     */
    protected Duration leaseGranularity() {
        return Duration.ofNanos(1);
    }

    /**
     * How late the engine may free an expired lease (E2): a waiter's bounds widen by it.
     *
     * @return zero by default
     */
    protected Duration expiryLag() {
        return Duration.ZERO;
    }

    /**
     * M1, K2: holders in contention on short leases, some of them pausing past their lease without
     * keeping it alive, never have overlapping valid critical sections, and the fenced store sees
     * their tokens in order. Needs no network: every backend runs it.
     */
    @Test
    void M1_holdersPausingPastShortLeasesLeaveASafeHistory() throws Exception {
        LockManager manager = openForPauses();
        String resource = resource();
        Duration lease = lease(300);
        List<CompletableFuture<Void>> holders = new ArrayList<>();
        for (int h = 0; h < 4; h++) {
            String process = "holder-" + h;
            holders.add(TestThreads.background(process, () -> {
                for (int round = 0; round < 6; round++) {
                    Optional<Lease> acquired = recorder().acquire(manager, process, resource, longWait(lease), lease);
                    if (acquired.isEmpty()) {
                        continue;
                    }
                    Lease held = acquired.get();
                    boolean pauses = ThreadLocalRandom.current().nextInt(3) == 0;
                    if (!pauses) {
                        held.keepAlive();
                    }
                    recorder().section(process, held);
                    // A pause past the lease (like a GC pause) for some, short work for the others.
                    pause(pauses ? lease.plus(leaseGranularity()).plus(Duration.ofMillis(50)) : Duration.ofMillis(10));
                    recorder().section(process, held);
                    recorder().release(process, held);
                }
                return null;
            }));
        }
        for (CompletableFuture<Void> holder : holders) {
            result(holder, TckTimings.scaledMillis(60_000));
        }
        HistoryChecker.assertSafe(recorder().history());
    }

    /**
     * Opens the manager that M1's holders share, warmed up.
     *
     * @return a manager of the backend in this JVM; the remote tier's reaches its engine
     * @throws InterruptedException if interrupted while warming it up
     */
    LockManager openForPauses() throws InterruptedException {
        Map<String, String> properties = new HashMap<>(settings());
        properties.putAll(properties());
        LockManager manager = track(LockManagers.open(backendName(), properties));
        warmUp(manager);
        return manager;
    }

    /** The settings of every manager of the tier: short operation timeouts keep the faults short. */
    Map<String, String> settings() {
        return Map.of("dlm.operation.timeout", operationTimeout().toMillis() + "ms");
    }

    /** Closes {@code closeable} after the test, before its history is written. */
    <T extends AutoCloseable> T track(T closeable) {
        return recording.track(closeable);
    }

    /** The running test's recorder. */
    Recorder recorder() {
        return recording.recorder();
    }

    /** A lease of about {@code millis} (scaled), rounded up to the engine's granularity. */
    Duration lease(long millis) {
        Duration scaled = TckTimings.scaledMillis(millis);
        long granule = leaseGranularity().toNanos();
        long rounded = (scaled.toNanos() + granule - 1) / granule * granule;
        return Duration.ofNanos(rounded);
    }

    /** Long enough for a lease to expire on the engine and a waiter to notice. */
    Duration longWait(Duration lease) {
        return lease.multipliedBy(2)
                .plus(leaseGranularity())
                .plus(expiryLag())
                .plus(operationTimeout())
                .plus(slack());
    }

    /**
     * Waits until the manager answers, so that a test's faults meet connections that are up, never
     * a first handshake (CI saw a ZooKeeper ensemble's first create miss a one-second operation
     * timeout while its session was being set up).
     */
    static void warmUp(LockManager manager) throws InterruptedException {
        long deadline = System.nanoTime() + slack().toNanos();
        for (; ; ) {
            try {
                assertThat(manager.inspect(resource())).isEmpty();
                return;
            } catch (LockException e) {
                if (e.error() != LockError.INTERNAL_ERROR || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                pause(Duration.ofMillis(50));
            }
        }
    }

    static String resource() {
        return "fault-" + UUID.randomUUID();
    }

    static Duration operationTimeout() {
        return TckTimings.scaledMillis(1_000);
    }

    /** Room for scheduling on a loaded machine. */
    static Duration slack() {
        return TckTimings.scaledMillis(2_000);
    }

    /** Lets time pass as a step of a fault scenario (not waiting for a condition). */
    static void pause(Duration duration) throws InterruptedException {
        Thread.sleep(Math.max(1, duration.toMillis()));
    }
}
