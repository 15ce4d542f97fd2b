package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * K1 and D4 on a backend without asynchronous renewal: renewals run as tasks on a bounded pool
 * (LeaseKeeper.renewWithoutBlocking, LeaseKeeper.java:209, pool of dlm.heartbeat.threads = 8,
 * unbounded queue). Slow renewals of some leases occupy every thread; the renewal of a healthy
 * lease waits in the queue past its deadline (K1), and a queued renewal is still sent after its
 * lease was released (D4), since the task never checks the lease.
 */
class BlockingRenewalPoolTest {

    @Test
    void K1_slowRenewalsOfEightLeasesDoNotCostAHealthyLeaseItsLock() throws Exception {
        ForwardingBackend backend = new ForwardingBackend(new MemoryLockBackend(Ticker.system())) {
            @Override
            public boolean renew(String r, String c, long token) {
                if (r.startsWith("slow")) {
                    // A slow shard: answers within the operation timeout (3 s), but takes 2 s.
                    long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                    while (System.nanoTime() < end) {
                        Thread.interrupted();
                        java.util.concurrent.locks.LockSupport.parkNanos(end - System.nanoTime());
                    }
                }
                return super.renew(r, c, token);
            }
        };
        try (LockManager manager =
                DefaultLockManager.open(backend, Map.of("dlm.operation.timeout", "3s"), Ticker.system())) {
            for (int i = 0; i < 8; i++) {
                manager.tryAcquire("slow" + i, "c", Duration.ZERO, Duration.ofMillis(900))
                        .orElseThrow()
                        .keepAlive();
            }
            Thread.sleep(50);
            Lease healthy = manager.tryAcquire("healthy", "c", Duration.ZERO, Duration.ofMillis(900))
                    .orElseThrow()
                    .keepAlive();
            Thread.sleep(1_500);
            assertThat(healthy.lost().toCompletableFuture())
                    .as("lost() of a lease whose engine answers renewals at once")
                    .isNotDone();
            assertThat(healthy.isValid()).isTrue();
        }
    }

    @Test
    void D4_noRenewalIsSentAfterTheReleaseReturned() throws Exception {
        AtomicBoolean slowMayGo = new AtomicBoolean();
        AtomicBoolean released = new AtomicBoolean();
        AtomicInteger renewalsAfterRelease = new AtomicInteger();
        ForwardingBackend backend = new ForwardingBackend(new MemoryLockBackend(Ticker.system())) {
            @Override
            public boolean renew(String r, String c, long token) {
                if (r.equals("slow")) {
                    ForwardingBackend.parkUntil(slowMayGo::get);
                } else if (released.get()) {
                    renewalsAfterRelease.incrementAndGet();
                }
                return super.renew(r, c, token);
            }
        };
        try (LockManager manager = DefaultLockManager.open(
                backend, Map.of("dlm.heartbeat.threads", "1", "dlm.heartbeat.interval", "100ms"), Ticker.system())) {
            manager.tryAcquire("slow", "c", Duration.ZERO, Duration.ofSeconds(5))
                    .orElseThrow()
                    .keepAlive();
            Thread.sleep(20);
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(5))
                    .orElseThrow()
                    .keepAlive();
            Thread.sleep(300); // its renewal is queued behind the slow one
            assertThat(lease.release()).isTrue();
            released.set(true);
            slowMayGo.set(true);
            Thread.sleep(300);
            assertThat(renewalsAfterRelease.get())
                    .as("renewals of a released lease sent after release() returned (D4)")
                    .isZero();
        } finally {
            slowMayGo.set(true);
        }
    }
}
