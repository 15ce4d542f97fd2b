package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A watched lease waits among the keeper's arrivals until the scheduler sweeps them, and only
 * then is registered for loss reports and close. These tests hold the scheduler thread busy, so
 * that the lease is certainly still among the arrivals, and check that nothing is lost meanwhile:
 * the manager's close and an engine's loss report still reach its {@code lost()} (C1, K3), and a
 * burst of arrivals is kept alive as a whole (K1).
 */
class KeepAliveArrivalsTest {

    private static final Duration PATIENCE = Duration.ofSeconds(5);

    private static LeaseKeeper keeperOf(LockManager manager) {
        return ((DefaultLockManager) manager).keeper();
    }

    /** Occupies the scheduler thread until the latch opens (or the thread is interrupted). */
    private static CountDownLatch blockScheduler(LeaseKeeper keeper) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        keeper.onScheduler(() -> {
            running.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .as("scheduler busy")
                .isTrue();
        return release;
    }

    @Test
    void C1_aLeaseClosedBeforeTheSchedulerTookItInIsReportedEnded() throws Exception {
        LockManager manager =
                DefaultLockManager.open(new MemoryLockBackend(Ticker.system()), Map.of(), Ticker.system());
        CountDownLatch unblock = null;
        try {
            unblock = blockScheduler(keeperOf(manager));
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow()
                    .keepAlive();
            CompletableFuture<LockException> lost = lease.lost().toCompletableFuture();
            manager.close(); // interrupts the busy scheduler thread, which then ends
            assertThat(lost.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS).error())
                    .as("lost() of a lease among the arrivals when the manager closed")
                    .isEqualTo(LockError.LOCK_NOT_HELD);
            assertThat(lease.isValid()).isFalse();
        } finally {
            if (unblock != null) {
                unblock.countDown();
            }
            manager.close();
        }
    }

    @Test
    void K3_aLeaseTheEngineReportedGoneIsReportedLostWhenWatchedWhileTheSchedulerIsBusy() throws Exception {
        try (LockManager manager =
                DefaultLockManager.open(new MemoryLockBackend(Ticker.system()), Map.of(), Ticker.system())) {
            LeaseKeeper keeper = keeperOf(manager);
            CountDownLatch unblock = blockScheduler(keeper);
            try {
                Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1))
                        .orElseThrow();
                // Reported before anyone watched the lease: not registered anywhere yet.
                keeper.leaseLost("r", lease.fencingToken());
                lease.keepAlive();
                // Reported by the watching thread itself, not by a sweep, which cannot run now.
                assertThat(lease.lost().toCompletableFuture().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                        .isNotNull();
            } finally {
                unblock.countDown();
            }
        }
    }

    @Test
    void K1_leasesThatArriveTogetherAreAllKeptAlive() throws Exception {
        try (LockManager manager = DefaultLockManager.open(
                new MemoryLockBackend(Ticker.system()), Map.of("dlm.heartbeat.interval", "100ms"), Ticker.system())) {
            List<Lease> leases = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                // Released ones in between, which later pushes may step over.
                manager.tryAcquire("short-" + i, "c", Duration.ZERO, Duration.ofMillis(600))
                        .orElseThrow()
                        .keepAlive()
                        .release();
                leases.add(manager.tryAcquire("r-" + i, "c", Duration.ZERO, Duration.ofMillis(600))
                        .orElseThrow()
                        .keepAlive());
            }
            // Three leases' worth: only renewals keep them.
            Thread.sleep(1_800);
            for (Lease lease : leases) {
                assertThat(lease.lost().toCompletableFuture())
                        .as("lost() of %s", lease)
                        .isNotDone();
                assertThat(lease.isValid()).as("isValid() of %s", lease).isTrue();
            }
        }
    }

    /** Answers no renewal, and holds the first one's caller (the scheduler) until the manager closes. */
    private static final class HoldsTheSchedulerUntilClosed extends ForwardingLockBackend implements AsyncLockBackend {
        final CompletableFuture<Thread> renewing = new CompletableFuture<>();
        volatile @Nullable LeaseKeeper keeper;

        HoldsTheSchedulerUntilClosed() {
            super(new MemoryLockBackend(Ticker.system()));
        }

        @Override
        public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
            if (renewing.complete(Thread.currentThread())) {
                LeaseKeeper closing = keeper;
                while (closing != null && !closing.isClosed()) {
                    Thread.interrupted(); // the close interrupts us: held on regardless
                    LockSupport.parkNanos(1_000_000L);
                }
            }
            return new CompletableFuture<>();
        }
    }

    @Test
    void K3_aLeaseTheSchedulerTakesInWhileTheManagerClosesIsToldOnTheClosingThread() throws Exception {
        HoldsTheSchedulerUntilClosed backend = new HoldsTheSchedulerUntilClosed();
        LockManager manager =
                DefaultLockManager.open(backend, Map.of("dlm.heartbeat.interval", "1ms"), Ticker.system());
        try {
            LeaseKeeper keeper = keeperOf(manager);
            backend.keeper = keeper;
            CountDownLatch unblock = blockScheduler(keeper);
            CompletableFuture<LockException> secondLost;
            CompletableFuture<Thread> toldOn = new CompletableFuture<>();
            try {
                // Both wait among the arrivals; the sweep takes the later one in first, and its
                // renewal holds the scheduler there, with the earlier one off the arrivals but not
                // yet registered, while the manager closes.
                Lease first = manager.tryAcquire("first", "c", Duration.ZERO, Duration.ofHours(1))
                        .orElseThrow()
                        .keepAlive();
                first.lost().thenRun(() -> toldOn.complete(Thread.currentThread()));
                secondLost = manager.tryAcquire("second", "c", Duration.ZERO, Duration.ofHours(1))
                        .orElseThrow()
                        .keepAlive()
                        .lost()
                        .toCompletableFuture();
                Thread.sleep(5); // both renewals due by the time the sweep runs
            } finally {
                unblock.countDown();
            }
            Thread scheduler = backend.renewing.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            manager.close();
            assertThat(secondLost
                            .get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)
                            .error())
                    .isEqualTo(LockError.LOCK_NOT_HELD);
            assertThat(toldOn.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                    .as("the thread that ran lost()'s callback of a lease taken in during close() (K3)")
                    .isNotSameAs(scheduler);
        } finally {
            manager.close();
        }
    }

    @Test
    void C1_aLeaseHandedOverAfterCloseWhileStillAmongTheArrivalsCutsNoOtherLeaseOff() throws Exception {
        LockManager manager =
                DefaultLockManager.open(new MemoryLockBackend(Ticker.system()), Map.of(), Ticker.system());
        CountDownLatch unblock = null;
        try {
            LeaseKeeper keeper = keeperOf(manager);
            unblock = blockScheduler(keeper);
            List<CompletableFuture<LockException>> losses = new ArrayList<>();
            Lease top = null;
            for (String resource : List.of("z", "y", "x")) {
                top = manager.tryAcquire(resource, "c", Duration.ZERO, Duration.ofHours(1))
                        .orElseThrow();
                losses.add(top.lost().toCompletableFuture());
            }
            // A step of a lease after close began hands it over (lost() then keepAlive() queue one
            // while the lease is still among the arrivals): here, the lease on top of them.
            keeper.endAfterClose((DefaultLease) top);
            manager.close();
            for (CompletableFuture<LockException> loss : losses) {
                assertThat(loss.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS).error())
                        .as("lost() of every lease among the arrivals when the manager closed")
                        .isEqualTo(LockError.LOCK_NOT_HELD);
            }
        } finally {
            if (unblock != null) {
                unblock.countDown();
            }
            manager.close();
        }
    }

    @Test
    void K3_aLossCompletedOnTheSchedulerAfterCloseBeganRunsItsCallbacksElsewhere() throws Exception {
        LockManager manager =
                DefaultLockManager.open(new MemoryLockBackend(Ticker.system()), Map.of(), Ticker.system());
        LeaseKeeper keeper = keeperOf(manager);
        CompletableFuture<Thread> scheduler = new CompletableFuture<>();
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        // A renewal's answer handled on the scheduler while close() runs: the lease's deadline
        // has passed, so the scheduler reports the loss, and hands over its completion.
        keeper.onScheduler(() -> {
            scheduler.complete(Thread.currentThread());
            while (!keeper.isClosed()) {
                Thread.interrupted(); // the close interrupts us: held on regardless
                LockSupport.parkNanos(1_000_000L);
            }
            keeper.notify(() -> ranOn.complete(Thread.currentThread()));
        });
        Thread schedulerThread = scheduler.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        manager.close();
        assertThat(ranOn.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                .as("the thread that ran a loss completion handed over on the scheduler after close (K3)")
                .isNotSameAs(schedulerThread);
    }

    /** Holds the first release until the test lets it fail; every other call goes to the engine. */
    private static final class FirstReleaseFailsLate extends ForwardingLockBackend {
        final CountDownLatch releasing = new CountDownLatch(1);
        final CountDownLatch fail = new CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicBoolean first =
                new java.util.concurrent.atomic.AtomicBoolean(true);

        FirstReleaseFailsLate() {
            super(new MemoryLockBackend(Ticker.system()));
        }

        @Override
        public boolean release(String resourceId, String clientId, long fencingToken) {
            if (!first.compareAndSet(true, false)) {
                return super.release(resourceId, clientId, fencingToken);
            }
            releasing.countDown();
            try {
                fail.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("the engine failed the release");
        }
    }

    @Test
    void C1_aReleaseThatFailsAfterTheManagerClosedLeavesTheLeaseEnded() throws Exception {
        FirstReleaseFailsLate backend = new FirstReleaseFailsLate();
        LockManager manager = DefaultLockManager.open(backend, Map.of(), Ticker.system());
        try {
            LeaseKeeper keeper = keeperOf(manager);
            CountDownLatch unblock = blockScheduler(keeper);
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow();
            CompletableFuture<LockException> lost = lease.lost().toCompletableFuture();
            CompletableFuture<Boolean> release = CompletableFuture.supplyAsync(lease::release);
            assertThat(backend.releasing.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            // The sweep takes the lease in while it is being released: not registered, then.
            unblock.countDown();
            CountDownLatch swept = new CountDownLatch(1);
            keeper.schedule(swept::countDown, 50_000_000L);
            assertThat(swept.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            manager.close();
            backend.fail.countDown();
            assertThat(release).as("the release the engine failed").failsWithin(PATIENCE);
            assertThat(lost.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS).error())
                    .as("lost() of a lease whose release failed after the manager closed (C1)")
                    .isEqualTo(LockError.LOCK_NOT_HELD);
        } finally {
            manager.close();
        }
    }
}
