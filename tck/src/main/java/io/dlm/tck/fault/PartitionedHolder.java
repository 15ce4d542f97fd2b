package io.dlm.tck.fault;

import static io.dlm.tck.fault.TestThreads.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;

/**
 * SPEC N1's scenario, whatever cuts the holder off: the fault tier's proxy that drops every byte
 * ({@link LockManagerFaultTck}), or a backend's own partition, such as a cluster member isolated
 * from its quorum. A holder, kept alive (K1) and writing through the fenced store, is cut off from
 * the engine while a contender waits on a connection the cut leaves alone. Then:
 *
 * <ul>
 *   <li>the holder's calls fail in time (X1, and X5 for an acquisition, which may need an undo);
 *   <li>its lease is reported lost by its local deadline, at most one lease after the cut is in
 *       force (K3);
 *   <li>the contender is granted the lock only once the holder no longer sees its lease valid (at
 *       that deadline, or when told of the loss if earlier), so nobody holds it while the holder
 *       still believes itself valid, and no critical sections overlap (N1, M1);
 *   <li>once the cut heals, the holder's manager acquires again within a lease and an operation
 *       timeout (liveness).
 * </ul>
 *
 * Everything goes into the {@link Recorder}'s history, which {@link HistoryChecker} judges.
 */
public final class PartitionedHolder {

    /**
     * Cuts the holder off from the engine, and heals the cut; each step notes in the recorder what
     * it does.
     *
     * @param cut cuts the holder off (its manager's connections stay open, only nothing passes)
     * @param heal lets the holder reach the engine again
     */
    public record Partition(Step cut, Step heal) {}

    /** One step of a partition. */
    @FunctionalInterface
    public interface Step {
        /**
         * Does it.
         *
         * @throws Exception if the step could not be done
         */
        void run() throws Exception;
    }

    private final Recorder recorder;
    private final Duration operationTimeout;
    private final Duration slack;

    /**
     * A scenario recorded by {@code recorder}.
     *
     * @param recorder the test's recorder
     * @param operationTimeout the managers' {@code dlm.operation.timeout}
     * @param slack room for scheduling on a loaded machine, added to every bound
     */
    public PartitionedHolder(Recorder recorder, Duration operationTimeout, Duration slack) {
        this.recorder = recorder;
        this.operationTimeout = operationTimeout;
        this.slack = slack;
    }

    /**
     * How late a loss may be reported after the local deadline: K3's 50 ms, plus a scheduler's
     * worth of noise.
     *
     * @return the tolerance, scaled by the TCK's multiplier
     */
    public static Duration lossTolerance() {
        return TckTimings.scaledMillis(250);
    }

    /**
     * Runs the scenario on a free resource and checks every step.
     *
     * @param holderSide the holder's manager, the one the partition cuts off
     * @param contenderSide a manager the partition leaves connected
     * @param resource a free resource
     * @param lease the lease both ask for
     * @param longWait how long the contender waits: enough for the lease to expire on the engine and
     *     for a waiter to notice
     * @param partition what cuts the holder off and heals the cut
     * @throws Exception if a step fails or the test is interrupted
     */
    public void run(
            LockManager holderSide,
            LockManager contenderSide,
            String resource,
            Duration lease,
            Duration longWait,
            Partition partition)
            throws Exception {
        Lease held = recorder.acquire(holderSide, "holder", resource, Duration.ZERO, lease)
                .orElseThrow(() -> new AssertionError("a free resource was not acquired"))
                .keepAlive();
        AtomicLong lostAt = new AtomicLong();
        held.lost().thenRun(() -> lostAt.compareAndSet(0, System.nanoTime()));
        AtomicLong localDeadline = new AtomicLong(Long.MIN_VALUE);
        CompletableFuture<Void> work = TestThreads.background("holder-work", () -> {
            for (; ; ) {
                // The lease's local deadline (K2) as now plus what is left: read in this order,
                // never later than the deadline itself, which stops moving once renewals are cut.
                long now = System.nanoTime();
                long left = held.remaining().toNanos();
                if (left > 0) {
                    localDeadline.accumulateAndGet(now + left, Math::max);
                }
                if (!recorder.section("holder", held)) {
                    return null;
                }
                Thread.sleep(20);
            }
        });
        // Let a renewal or two go through before the cut, so the deadline comes from a renewal.
        Thread.sleep(lease.dividedBy(2).toMillis());

        long cut = System.nanoTime();
        partition.cut().run();
        // The cut may take a while to set up (an isolated etcd member's network): a renewal sent
        // meanwhile may still be confirmed, and the local deadline then comes from it (K2).
        long cutInForce = System.nanoTime();
        Lease taken;
        Throwable failed = null;
        try {
            // The contender writes as soon as it holds the lock: a grant that came while the holder
            // still believed itself valid shows as overlapping critical sections.
            CompletableFuture<Optional<Lease>> contender = TestThreads.background(
                    "contender",
                    () -> recorder.acquireAndWrite(
                            contenderSide, "contender", resource, longWait, lease, lease.dividedBy(2)));
            recorder.assertFailsWithin(
                    "holder's inspect during the partition",
                    () -> holderSide.inspect(resource),
                    operationTimeout.plus(slack));
            // Two operation timeouts: the second for the undo of what may have reached the engine.
            recorder.assertFailsWithin(
                    "holder's acquisition of another resource during the partition",
                    () -> recorder.acquire(holderSide, "holder", resource + "-other", Duration.ZERO, lease),
                    operationTimeout.multipliedBy(2).plus(slack));

            taken = result(contender, longWait.plus(lease).plus(slack))
                    .orElseThrow(
                            () -> new AssertionError("the contender never acquired the partitioned holder's lock"));
            result(work, lease.plus(slack));
            Awaitility.await("holder's loss (K3)").atMost(lease.plus(slack)).until(() -> lostAt.get() != 0);
            long grantedAt = recorder.acquiredAt(resource, "contender");
            recorder.note(
                    "the cut was in force " + Duration.ofNanos(cutInForce - cut).toMillis()
                            + " ms after it began; the holder's local deadline was "
                            + Duration.ofNanos(localDeadline.get() - cut).toMillis()
                            + " ms after the cut, its lease reported lost "
                            + Duration.ofNanos(lostAt.get() - cut).toMillis()
                            + " ms after it; the contender got it "
                            + Duration.ofNanos(grantedAt - cut).toMillis() + " ms after it");
            assertThat(Duration.ofNanos(lostAt.get() - cutInForce))
                    .as("K3/N1: the loss is reported at most one lease after the cut is in force")
                    .isLessThanOrEqualTo(lease.plus(lossTolerance()));
            assertThat(Duration.ofNanos(lostAt.get() - localDeadline.get()))
                    .as("K3: the loss is reported by the local deadline")
                    .isLessThanOrEqualTo(lossTolerance());
            // The holder stops seeing its lease valid at its local deadline, or earlier if told of
            // the loss earlier (a ZooKeeper session suspended: the engine may then end the lease
            // before the deadline, and rightly grant it).
            long believedValidUntil = Math.min(localDeadline.get(), lostAt.get());
            assertThat(grantedAt)
                    .as(
                            "N1: the contender acquires only once the holder no longer sees its lease valid (%s"
                                    + " ms after the cut)",
                            Duration.ofNanos(believedValidUntil - cut).toMillis())
                    .isGreaterThan(believedValidUntil - lossTolerance().toNanos());
        } catch (Throwable failure) {
            failed = failure;
            throw failure;
        } finally {
            try {
                partition.heal().run();
            } catch (Exception healFailed) {
                if (failed == null) {
                    throw healFailed;
                }
                failed.addSuppressed(healFailed); // the scenario's own failure is the one to read
            }
        }
        long healed = System.nanoTime();
        recorder.release("contender", taken);
        Duration liveness = lease.plus(operationTimeout).plus(slack);
        Optional<Lease> again = recorder.acquireRetrying(holderSide, "holder", resource, liveness, lease);
        if (again.isPresent()) {
            try {
                recorder.release("holder", again.get());
            } catch (RuntimeException e) {
                // Clean-up only: the history already holds the acquisition liveness is judged by.
            }
        }
        HistoryChecker.assertLiveAfter(recorder.history(), resource, healed, liveness);
        HistoryChecker.assertSafe(recorder.history());
    }
}
