package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.Acquisition;
import io.dlm.tck.ForwardingLockBackend;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * X5, N3: an undo that the engine did not confirm is tried again by the runtime in the background
 * until it is, so an acquisition that a slow engine applied is not left held by nobody for its
 * lease; closing the manager stops the retries and their thread.
 */
class UndoRetryTest {

    private final AtomicBoolean loseReplies = new AtomicBoolean();
    private final AtomicInteger undoFailuresLeft = new AtomicInteger();
    private final AtomicInteger undoCalls = new AtomicInteger();

    @Test
    void anUnconfirmedUndoIsRetriedUntilTheEngineConfirmsIt() {
        try (LockManager manager = open()) {
            undoFailuresLeft.set(3);
            loseReplies.set(true);
            assertThatThrownBy(() -> manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(60)))
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            loseReplies.set(false);
            assertThat(manager.inspect("r"))
                    .as("applied, and its first undo failed")
                    .isPresent();

            Awaitility.await("the undo retried until confirmed")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> manager.inspect("r").isEmpty());
            assertThat(undoCalls.get()).isEqualTo(4);
            assertThat(manager.tryAcquire("r", "other", Duration.ZERO, Duration.ofSeconds(60)))
                    .as("free for others")
                    .isPresent();
        }
    }

    @Test
    void closeStopsTheRetriesAndTheirThread() {
        LockManager manager = open();
        undoFailuresLeft.set(Integer.MAX_VALUE);
        loseReplies.set(true);
        assertThatThrownBy(() -> manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(60)))
                .isInstanceOf(LockException.class);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> undoCalls.get() >= 3);
        manager.close();
        int calls = undoCalls.get();
        Awaitility.await("no dlm-undo thread after close (C1)")
                .atMost(Duration.ofSeconds(5))
                .until(() -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(
                                thread -> thread.isAlive() && thread.getName().equals("dlm-undo")));
        assertThat(undoCalls.get()).as("no retry after close").isLessThanOrEqualTo(calls + 1);
    }

    private LockManager open() {
        return LockManagers.open(
                TckBackends.decorated("memory", real -> new ForwardingLockBackend(real) {
                    @Override
                    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
                        Acquisition acquisition = super.acquire(resourceId, clientId, leaseNanos, attempt);
                        if (loseReplies.get()) {
                            throw new LockException(
                                    LockError.INTERNAL_ERROR, "reply lost", new IllegalStateException());
                        }
                        return acquisition;
                    }

                    @Override
                    public void undo(String resourceId, String clientId, long attempt) {
                        undoCalls.incrementAndGet();
                        if (undoFailuresLeft.getAndDecrement() > 0) {
                            throw new LockException(
                                    LockError.INTERNAL_ERROR, "undo unconfirmed", new IllegalStateException());
                        }
                        super.undo(resourceId, clientId, attempt);
                    }
                }),
                Map.of("dlm.operation.timeout", "200ms"));
    }
}
