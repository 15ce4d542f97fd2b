package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * K3 (8ffe480): a loss callback that closes the manager runs close() on a notifier thread, so
 * LeaseKeeper.close() calls LossNotifier.close(0) (LeaseKeeper.java:341-344), which does not wait
 * for the dispatcher and shuts both pools down at once (LossNotifier.java:87-96). The dispatcher
 * still has completions queued; its next pool.execute is rejected, the rejection handler's
 * overflow.execute (LossNotifier.java:51) throws RejectedExecutionException, the dispatcher thread
 * dies, and every completion left in its queue is dropped. Those leases are LOST, so
 * endWithManager does not complete them either: their lost() never completes.
 */
class CloseFromLossCallbackTest {

    static LeaseLossListener keeper(LockManager manager) {
        return ((DefaultLockManager) manager).keeper();
    }

    @Test
    void K3_lossesReportedBeforeACloseFromACallbackAreAllSignalled() throws Exception {
        LockManager manager =
                DefaultLockManager.open(new MemoryLockBackend(Ticker.system()), Map.of(), Ticker.system());
        try {
            LeaseLossListener engine = keeper(manager);
            Lease first = manager.tryAcquire("a", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow();
            List<Lease> others = new ArrayList<>();
            List<CompletableFuture<?>> otherLosses = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Lease lease = manager.tryAcquire("b" + i, "c", Duration.ZERO, Duration.ofHours(1))
                        .orElseThrow();
                others.add(lease);
                otherLosses.add(lease.lost().toCompletableFuture());
            }
            CountDownLatch closed = new CountDownLatch(1);
            first.lost().thenRun(() -> {
                // The engine reports the other leases gone, then the application shuts down.
                for (Lease lease : others) {
                    engine.leaseLost(lease.resourceId(), lease.fencingToken());
                }
                manager.close();
                closed.countDown();
            });
            engine.leaseLost("a", first.fencingToken());
            assertThat(closed.await(5, TimeUnit.SECONDS))
                    .as("close() from the callback returned")
                    .isTrue();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            long pending;
            do {
                Thread.sleep(50);
                pending = otherLosses.stream().filter(f -> !f.isDone()).count();
            } while (pending > 0 && System.nanoTime() - end < 0);
            assertThat(pending)
                    .as("lost() of leases reported gone before close() that never completed (of 200)")
                    .isZero();
        } finally {
            manager.close();
        }
    }
}
