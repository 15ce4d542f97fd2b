package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** K3: {@code lost()} completes only when the runtime reports a loss, whatever its callers do. */
class LossStageTest {

    @Test
    void K3_aCallerCannotCompleteTheLossStage() {
        try (LockManager manager = LockManagers.inMemory()) {
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow();
            CompletionStage<LockException> lost = lease.lost();
            CompletableFuture<LockException> copy = lost.toCompletableFuture();
            assertThat(copy.complete(new LockException(LockError.LOCK_NOT_HELD, "fake")))
                    .isTrue();
            copy.obtrudeException(new IllegalStateException("fake"));
            assertThat(lease.lost().toCompletableFuture())
                    .as("the lease's own stage")
                    .isNotDone();
            if (lost instanceof CompletableFuture<LockException> future) {
                assertThatThrownBy(() -> future.complete(null)).isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(() -> future.completeExceptionally(new IllegalStateException()))
                        .isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(() -> future.cancel(true)).isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(() -> future.obtrudeValue(null)).isInstanceOf(UnsupportedOperationException.class);
                assertThatThrownBy(() -> future.orTimeout(1, TimeUnit.MILLISECONDS))
                        .isInstanceOf(UnsupportedOperationException.class);
                assertThat(future).isNotDone();
            }
            assertThat(lease.isValid()).isTrue();
            assertThat(lease.release()).isTrue();
            assertThat(lease.lost().toCompletableFuture()).as("after a release").isNotDone();
        }
    }

    @Test
    void K3_aReportedLossReachesEveryCopyAndDependentStage() throws Exception {
        LockManager manager = LockManagers.inMemory();
        Lease lease =
                manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1)).orElseThrow();
        CompletableFuture<LockException> before = lease.lost().toCompletableFuture();
        CompletableFuture<LockException> another = lease.lost().toCompletableFuture();
        CompletableFuture<LockError> dependent =
                lease.lost().thenApply(LockException::error).toCompletableFuture();
        manager.close(); // ends the lease with the manager (C1), which reports it lost
        assertThat(before.get(5, TimeUnit.SECONDS).error()).isEqualTo(LockError.LOCK_NOT_HELD);
        assertThat(dependent.get(5, TimeUnit.SECONDS)).isEqualTo(LockError.LOCK_NOT_HELD);
        assertThat(another.get(5, TimeUnit.SECONDS)).as("one loss, once").isSameAs(before.getNow(null));
    }
}
