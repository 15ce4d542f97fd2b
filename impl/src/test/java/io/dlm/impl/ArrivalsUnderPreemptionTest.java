package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * K1/K3 under preemption: many more threads than cores keep leases alive at once, so a thread is
 * often descheduled in the middle of handing its lease to the scheduler. Renewals are never
 * answered, so every lease must be reported lost at its local deadline; one that waits for a sweep
 * that already ran is never reported lost at all.
 */
class ArrivalsUnderPreemptionTest {

    /** Never answers a renewal. */
    private static final class Silent extends ForwardingBackend implements AsyncLockBackend {
        Silent() {
            super(new MemoryLockBackend(Ticker.system()));
        }

        @Override
        public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
            return new CompletableFuture<>();
        }
    }

    @Test
    void K3_everyLeaseKeptAliveFromManyThreadsIsReportedLost() throws Exception {
        int threads = 16;
        int perThread = 300;
        Duration lease = Duration.ofMillis(100);
        ConcurrentLinkedQueue<CompletableFuture<?>> losses = new ConcurrentLinkedQueue<>();
        AtomicInteger sequence = new AtomicInteger();
        try (LockManager manager = DefaultLockManager.open(new Silent(), Map.of(), Ticker.system())) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread worker = new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        Lease held = manager.tryAcquire("r" + sequence.incrementAndGet(), "c", Duration.ZERO, lease)
                                .orElseThrow()
                                .keepAlive();
                        losses.add(held.lost().toCompletableFuture());
                        // Spread the arrivals over several sweeps.
                        if (i % 50 == 0) {
                            Thread.yield();
                        }
                    }
                });
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            int stranded = 0;
            for (CompletableFuture<?> loss : losses) {
                try {
                    loss.get(2, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    stranded++;
                }
            }
            assertThat(stranded)
                    .as("leases (of %s) never reported lost: they never reached the scheduler", losses.size())
                    .isZero();
        }
    }
}
