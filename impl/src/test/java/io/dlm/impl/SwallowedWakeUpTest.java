package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Acquisition;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A release that comes while the waiter is inside a backend call that blocks on a future (as
 * remote backends do) must still wake it: the future's park swallows the unpark, so the runtime
 * must not rely on the permit alone (L4, U3).
 */
class SwallowedWakeUpTest {

    @Test
    void U3_releaseDuringABlockingBackendCallStillWakesTheWaiter() throws Exception {
        BlockingOnce backend = new BlockingOnce(new MemoryLockBackend(Ticker.system()));
        try (LockManager manager = DefaultLockManager.open(backend, Map.of(), Ticker.system())) {
            assertThat(manager.lock("r", "holder", 30_000)).isTrue();
            Future<Boolean> waiter = CompletableFuture.supplyAsync(() -> manager.lock("r", "waiter", 20_000));

            assertThat(backend.inBlockingCall.await(10, TimeUnit.SECONDS)).isTrue();
            await().until(() -> backend.blockedThread.getState() == Thread.State.WAITING);
            assertThat(manager.unlock("r", "holder")).isTrue(); // its unpark lands in future.get()
            await().until(() -> backend.blockedThread.getState() == Thread.State.WAITING);
            backend.release.complete(null);

            assertThat(waiter.get(10, TimeUnit.SECONDS))
                    .as("woken long before its 20 s timeout")
                    .isTrue();
        }
    }

    @Test
    void C1_closeDuringABlockingBackendCallStillWakesTheWaiter() throws Exception {
        BlockingOnce backend = new BlockingOnce(new MemoryLockBackend(Ticker.system()));
        LockManager manager = DefaultLockManager.open(backend, Map.of(), Ticker.system());
        assertThat(manager.lock("r", "holder", 30_000)).isTrue();
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                manager.lock("r", "waiter", 20_000);
                return null;
            } catch (LockException e) {
                return e;
            }
        });

        assertThat(backend.inBlockingCall.await(10, TimeUnit.SECONDS)).isTrue();
        await().until(() -> backend.blockedThread.getState() == Thread.State.WAITING);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(manager::close);
        // close() wakes the waiter first; its unpark lands in future.get(), which then returns
        // "held by the holder" for 30 s more.
        await().until(() -> backend.blockedThread.getState() == Thread.State.WAITING);
        backend.release.complete(null);

        assertThat(waiter.get(10, TimeUnit.SECONDS))
                .as("C1: the waiter fails long before its 20 s timeout")
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
        closing.get(10, TimeUnit.SECONDS);
    }

    /** Delegates to memory; the waiter's second attempt blocks on a future after finding the lock held. */
    private static final class BlockingOnce extends ForwardingLockBackend implements InProcessLockBackend {
        private final LockBackend delegate;
        private final AtomicInteger waiterAttempts = new AtomicInteger();
        final CountDownLatch inBlockingCall = new CountDownLatch(1);
        final CompletableFuture<Void> release = new CompletableFuture<>();
        volatile Thread blockedThread;

        BlockingOnce(LockBackend delegate) {
            super(delegate);
            this.delegate = delegate;
        }

        @Override
        public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
            Acquisition result = delegate.acquire(resourceId, clientId, leaseNanos, 1L);
            if (clientId.equals("waiter") && waiterAttempts.incrementAndGet() == 2) {
                blockedThread = Thread.currentThread();
                inBlockingCall.countDown();
                try {
                    release.get();
                } catch (InterruptedException | ExecutionException e) {
                    throw new IllegalStateException(e);
                }
            }
            return result;
        }
    }
}
