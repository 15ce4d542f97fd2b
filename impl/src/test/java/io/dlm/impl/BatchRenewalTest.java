package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.Renewal;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import io.dlm.tck.TckTimings;
import io.dlm.tck.support.RunsAlone;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * K1, N7 on a {@link BatchRenewingLockBackend}: the runtime renews kept-alive leases many to a call,
 * so a pool of a few threads keeps a thousand leases alive on an engine that answers in 100 ms, and
 * a batch stuck on one slow lease does not cost the leases that shared it their locks.
 */
@RunsAlone
class BatchRenewalTest {

    /** A remote-looking engine over memory: every call takes a round trip; one resource may be slow. */
    private static final class SlowEngine extends ForwardingLockBackend implements BatchRenewingLockBackend {
        final long roundTripNanos;
        final String slowResource;
        final long slowNanos;
        final AtomicInteger batches = new AtomicInteger();
        final AtomicInteger batchedItems = new AtomicInteger();
        final AtomicInteger singleRenewals = new AtomicInteger();
        final AtomicInteger largestBatch = new AtomicInteger();
        /** Until when (System.nanoTime) every call is held, as by an engine that stopped for a moment. */
        volatile long heldUntil = Long.MIN_VALUE;

        SlowEngine(Duration roundTrip, String slowResource, Duration slow) {
            super(new MemoryLockBackend(Ticker.system()));
            this.roundTripNanos = roundTrip.toNanos();
            this.slowResource = slowResource;
            this.slowNanos = slow.toNanos();
        }

        @Override
        public boolean renew(String resourceId, String clientId, long fencingToken) {
            singleRenewals.incrementAndGet();
            travel(resourceId.equals(slowResource));
            return super.renew(resourceId, clientId, fencingToken);
        }

        @Override
        public boolean[] renewAll(List<Renewal> renewals) {
            batches.incrementAndGet();
            batchedItems.addAndGet(renewals.size());
            largestBatch.accumulateAndGet(renewals.size(), Math::max);
            boolean slow = false;
            for (Renewal renewal : renewals) {
                slow |= renewal.resourceId().equals(slowResource);
            }
            // Like a statement batch that waits for a row lock on one of its rows.
            travel(slow);
            boolean[] renewed = new boolean[renewals.size()];
            for (int i = 0; i < renewed.length; i++) {
                Renewal renewal = renewals.get(i);
                renewed[i] = super.renew(renewal.resourceId(), renewal.clientId(), renewal.fencingToken());
            }
            return renewed;
        }

        private void travel(boolean slow) {
            long start = System.nanoTime();
            long held = heldUntil;
            long end = Math.max(start, held) + roundTripNanos + (slow ? slowNanos : 0);
            for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
        }
    }

    @Test
    void N7_aThousandLeasesOnAnEngineAnsweringIn100msAreRenewedInBatchesAndNoneIsLost() throws Exception {
        onAThousandLeases("n7-", (engine, lease, leases) -> {
            TimeUnit.NANOSECONDS.sleep(lease.multipliedBy(3).toNanos());
            assertThat(lost(leases))
                    .as("leases lost on an engine answering within 100 ms (N7)")
                    .isEmpty();
            assertThat(engine.singleRenewals.get())
                    .as("renewals sent one by one")
                    .isZero();
            // Three leases' worth of renewals, three a lease: about 9,000, in far fewer calls.
            assertThat(engine.batchedItems.get()).isGreaterThan(6_000);
            assertThat(engine.batches.get())
                    .as("batches for %s renewals (largest %s)", engine.batchedItems.get(), engine.largestBatch.get())
                    .isLessThan(engine.batchedItems.get() / 4);
        });
    }

    /**
     * An engine that stops answering for a little more than a renewal period (a checkpoint, a
     * garbage collection, a congested link) leaves each lease with an unanswered renewal when its
     * next one is due. Those next renewals must still go out in batches: sent one per pool thread
     * and round trip, they fill the pool, the batches queue behind them, and the whole manager
     * falls behind until every lease is lost, long after the engine answers again.
     */
    @Test
    void K1_N7_anEngineHeldForMoreThanARenewalPeriodCostsNoLease() throws Exception {
        onAThousandLeases("held-", (engine, lease, leases) -> {
            TimeUnit.NANOSECONDS.sleep(lease.toNanos());
            // Held for 0.4 of a lease, more than the renewal period (a third): a renewal sent just
            // before it is answered 0.5 of a lease after it was sent, well within its lease.
            engine.heldUntil =
                    System.nanoTime() + lease.multipliedBy(2).dividedBy(5).toNanos();
            TimeUnit.NANOSECONDS.sleep(lease.multipliedBy(4).toNanos());
            assertThat(lost(leases))
                    .as(
                            "leases lost after the engine was held for 0.4 of a lease (%s renewals sent one by one)",
                            engine.singleRenewals.get())
                    .isEmpty();
        });
    }

    @Test
    void K1_aBatchStuckOnOneSlowLeaseDoesNotCostTheLeasesThatSharedItTheirLocks() throws Exception {
        Duration lease = TckTimings.scaledMillis(900);
        // The slow lease's renewals take two leases, within the operation timeout.
        SlowEngine engine = new SlowEngine(TckTimings.scaledMillis(5), "slow", lease.multipliedBy(2));
        try (LockManager manager = DefaultLockManager.open(
                engine,
                Map.of(
                        "dlm.operation.timeout",
                        TckTimings.scaledMillis(5_000).toMillis() + "ms",
                        // Half of the places go to single renewals: four senders, one of them
                        // held by the slow lease at a time, for the hundred leases it shared a
                        // batch with.
                        "dlm.heartbeat.threads",
                        "8"),
                Ticker.system())) {
            List<String> names = numbered("healthy-", 100);
            names.add(50, "slow");
            List<Lease> healthy = keptAlive(manager, names, lease);
            Lease slow = healthy.remove(names.indexOf("slow"));
            TimeUnit.NANOSECONDS.sleep(lease.multipliedBy(3).toNanos());
            assertThat(lost(healthy))
                    .as("healthy leases lost while one lease's renewals hung (K1)")
                    .isEmpty();
            assertThat(slow.lost().toCompletableFuture())
                    .as("the slow lease, whose renewals never came back in time")
                    .isDone();
            assertThat(engine.batches.get()).isPositive();
        }
    }

    /** A test on the N7 set-up. */
    @FunctionalInterface
    private interface ThousandLeasesTest {
        void run(SlowEngine engine, Duration lease, List<Lease> leases) throws Exception;
    }

    /**
     * Runs a test on the N7 set-up: a thousand leases of a second, named from the prefix and kept
     * alive through a manager with 32 senders, on an engine that answers every call in 100 ms.
     */
    private static void onAThousandLeases(String prefix, ThousandLeasesTest test) throws Exception {
        SlowEngine engine = new SlowEngine(TckTimings.scaledMillis(100), "none", Duration.ZERO);
        Duration lease = TckTimings.scaledMillis(1_000);
        try (LockManager manager = DefaultLockManager.open(
                engine, Map.of("dlm.operation.timeout", "5s", "dlm.heartbeat.threads", "32"), Ticker.system())) {
            test.run(engine, lease, keptAlive(manager, numbered(prefix, 1_000), lease));
        }
    }

    private static List<String> numbered(String prefix, int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    /** A kept-alive lease of each resource, acquired in the order given. */
    private static List<Lease> keptAlive(LockManager manager, List<String> resources, Duration lease) {
        List<Lease> leases = new ArrayList<>();
        for (String resource : resources) {
            leases.add(manager.tryAcquire(resource, "c", Duration.ZERO, lease)
                    .orElseThrow()
                    .keepAlive());
        }
        return leases;
    }

    /** The resources of the leases lost, told so or no longer valid. */
    private static List<String> lost(List<Lease> leases) {
        List<String> lost = new ArrayList<>();
        for (Lease held : leases) {
            if (held.lost().toCompletableFuture().isDone() || !held.isValid()) {
                lost.add(held.resourceId());
            }
        }
        return lost;
    }
}
