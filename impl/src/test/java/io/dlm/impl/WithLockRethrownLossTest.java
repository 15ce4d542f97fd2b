package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * K5: work that rethrows the loss it got from lease.lost() makes withLock throw
 * IllegalArgumentException("Self-suppression not permitted"): DefaultLockManager.withLock
 * (DefaultLockManager.java:162) adds the loss as suppressed to the work's exception, which is the
 * very same LockException instance.
 */
class WithLockRethrownLossTest {

    @Test
    void K5_workRethrowingTheLossPropagatesItAsIs() {
        try (LockManager manager = LockManagers.inMemory()) {
            AtomicReference<LockException> loss = new AtomicReference<>();
            Throwable thrown =
                    catchThrowable(() -> manager.withLock("r", "c", Duration.ZERO, Duration.ofMillis(300), lease -> {
                        manager.unlock("r", "c"); // the lock is taken from under the work
                        LockException lost = lease.lost().toCompletableFuture().get(5, TimeUnit.SECONDS);
                        loss.set(lost);
                        throw lost; // "stop: we no longer hold the lock"
                    }));
            assertThat(loss.get()).isNotNull();
            assertThat(thrown).as("what withLock threw").isSameAs(loss.get());
        }
    }
}
