package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** K2/K3: loss reports from the engine (LeaseLossListener) that the runtime drops. */
class EngineLossReportTest {

    private final AtomicReference<LeaseLossListener> listener = new AtomicReference<>();
    private final AtomicReference<MemoryLockBackend> engine = new AtomicReference<>();
    private final AtomicBoolean sessionDiesAfterNextGrant = new AtomicBoolean();

    private LockManager open() {
        return LockManagers.open(
                new LockBackendProvider() {
                    @Override
                    public String name() {
                        return "review-loss";
                    }

                    @Override
                    public LockBackend open(BackendContext context) {
                        listener.set(context.leaseLoss());
                        MemoryLockBackend real = new MemoryLockBackend(context.ticker());
                        engine.set(real);
                        return new ForwardingBackend(real) {
                            @Override
                            public Acquisition acquire(String r, String c, long lease, long attempt) {
                                Acquisition a = super.acquire(r, c, lease, attempt);
                                if (a.isAcquired() && sessionDiesAfterNextGrant.getAndSet(false)) {
                                    // The reply is on its way back when the engine session expires:
                                    // the engine drops the lock and the backend reports it (ZooKeeper).
                                    real.release(r, c, a.fencingToken());
                                    listener.get().allLeasesLost();
                                }
                                return a;
                            }
                        };
                    }
                },
                Map.of());
    }

    /**
     * LeaseKeeper.leaseLost (LeaseKeeper.java:120) only looks in the registry of watched leases;
     * a lease nobody has called keepAlive()/lost() on yet is not there, so the report is dropped
     * and isValid() stays true until the local deadline while the engine has given the lock away.
     */
    @Test
    void K2_aLeaseTheEngineReportsGoneIsNotValidEvenIfUnwatched() throws Exception {
        try (LockManager manager = open()) {
            Lease lease = manager.tryAcquire("r", "holder", Duration.ZERO, Duration.ofSeconds(10))
                    .orElseThrow();
            // The engine ends this acquisition (etcd: lease not found) and the backend reports it.
            engine.get().release("r", "holder", lease.fencingToken());
            listener.get().leaseLost("r", lease.fencingToken());
            assertThat(manager.tryAcquire("r", "rival", Duration.ZERO, Duration.ofSeconds(10)))
                    .as("the engine gave the lock to a rival")
                    .isPresent();
            assertThat(lease.isValid())
                    .as("isValid() after the engine reported the lease gone")
                    .isFalse();
            assertThat(lease.lost().toCompletableFuture().get(1, TimeUnit.SECONDS))
                    .isNotNull();
        }
    }

    /**
     * DefaultLease reads the keeper's loss epoch in its constructor (DefaultLease.java:81), after
     * the acquisition came back; a session loss reported between the engine's grant and that
     * moment bumps the epoch first, so the lease records the new epoch and counts as valid.
     */
    @Test
    void K2_aSessionLostWhileTheAcquisitionWasAnsweredEndsTheLease() {
        try (LockManager manager = open()) {
            sessionDiesAfterNextGrant.set(true);
            Lease lease = manager.tryAcquire("r", "holder", Duration.ZERO, Duration.ofSeconds(10))
                    .orElseThrow();
            assertThat(manager.tryAcquire("r", "rival", Duration.ZERO, Duration.ofSeconds(10)))
                    .as("the engine gave the lock to a rival")
                    .isPresent();
            assertThat(lease.isValid())
                    .as("isValid() of a lease whose session died after the grant")
                    .isFalse();
        }
    }
}
