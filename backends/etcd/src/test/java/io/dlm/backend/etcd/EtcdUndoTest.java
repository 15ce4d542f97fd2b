package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckBackends;
import io.dlm.tck.support.LosingReplies;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * X5 on a real etcd: an acquisition whose outcome the runtime does not know is undone, by its
 * attempt id, and only it. The lost-reply cases use a decorator at the SPI boundary that lets the
 * real acquisition happen and then throws; the late case freezes the etcd process ({@code
 * SIGSTOP}), so that etcd handles the acquisition after the client gave up.
 */
class EtcdUndoTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration LONG_LEASE = Duration.ofSeconds(60);

    /** Room for a loaded machine on top of what X5 allows. */
    private static final Duration TOLERANCE = Duration.ofSeconds(2);

    @Test
    void X5_anAcquisitionWhoseReplyWasLostIsUndoneAtOnce() {
        AtomicBoolean loseReplies = new AtomicBoolean();
        try (LockManager manager =
                open(backend -> new LosingReplies(backend, loseReplies, IllegalStateException::new))) {
            loseReplies.set(true);
            Throwable failure = catchThrowable(() -> manager.tryAcquire("granted", "c", Duration.ZERO, LONG_LEASE));
            loseReplies.set(false);

            assertThat(failure)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            assertThat(manager.inspect("granted"))
                    .as("undone at once, not held for the lease")
                    .isEmpty();
            Lease next = manager.tryAcquire("granted", "c", Duration.ZERO, LONG_LEASE)
                    .orElseThrow();
            assertThat(next.release()).isTrue();
        }
    }

    @Test
    void X5_anUndoNeverReleasesALockTheSameClientHeldBefore() {
        AtomicBoolean loseReplies = new AtomicBoolean();
        try (LockManager manager =
                open(backend -> new LosingReplies(backend, loseReplies, IllegalStateException::new))) {
            Lease first = manager.tryAcquire("held-before", "c", Duration.ZERO, LONG_LEASE)
                    .orElseThrow();

            // etcd answers "held by the caller"; the reply is lost, and the runtime undoes the attempt.
            loseReplies.set(true);
            Throwable failure = catchThrowable(() -> manager.tryAcquire("held-before", "c", Duration.ZERO, LONG_LEASE));
            loseReplies.set(false);

            assertThat(failure)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            LockInfo info = manager.inspect("held-before").orElseThrow();
            assertThat(info.clientId()).isEqualTo("c");
            assertThat(info.fencingToken()).isEqualTo(first.fencingToken());
            assertThat(first.renew()).isTrue();
            assertThat(first.release()).isTrue();
        }
    }

    @Test
    void X5_anUndoByAnotherAttemptOrClientChangesNothing() {
        LockBackend backend = new EtcdLockBackendProvider().open(BackendContext.of(settings()));
        try {
            long lease = LONG_LEASE.toNanos();
            assertThat(backend.acquire("direct", "c", lease, 41L).isAcquired()).isTrue();
            backend.undo("direct", "c", 42L);
            backend.undo("direct", "someone else", 41L);
            backend.undo("other", "c", 41L);
            assertThat(backend.inspect("direct")).isPresent();
            backend.undo("direct", "c", 41L);
            assertThat(backend.inspect("direct")).isEmpty();
            backend.undo("direct", "c", 41L); // twice is harmless

            // Negative ids are ids like any other (stored as unsigned hex).
            Acquisition negative = backend.acquire("direct", "c", lease, Long.MIN_VALUE + 1);
            assertThat(negative.isAcquired()).isTrue();
            backend.undo("direct", "c", Long.MIN_VALUE);
            assertThat(backend.inspect("direct")).isPresent();
            backend.undo("direct", "c", Long.MIN_VALUE + 1);
            assertThat(backend.inspect("direct")).isEmpty();

            // The undone lock's lease went back to the pool and carries the next lock.
            assertThat(backend.acquire("direct", "c", lease, 43L).isAcquired()).isTrue();
            assertThat(backend.release("direct", "c", LockBackend.ANY_ACQUISITION))
                    .isTrue();
        } finally {
            backend.close();
        }
    }

    @Test
    void X5_anAcquisitionThatEtcdHandlesAfterTheClientGaveUpIsUndoneSoonAfter() {
        Duration operationTimeout = Duration.ofMillis(500);
        Duration pause = Duration.ofMillis(2_000);
        EtcdMember member = ETCD.members().get(0);
        try (LockManager manager =
                LockManagers.open("etcd", settings("dlm.operation.timeout", operationTimeout.toMillis() + "ms"))) {
            // Leaves an idle lease in the pool: the late acquisition is then one transaction (and a
            // keep-alive) carrying the key on that lease, not a grant that fails before any put.
            manager.tryAcquire("warm-up", "c", Duration.ZERO, LONG_LEASE)
                    .orElseThrow()
                    .release();

            member.pause();
            long paused = System.nanoTime();
            Throwable failure;
            try {
                failure = catchThrowable(() -> manager.tryAcquire("late", "c", Duration.ZERO, LONG_LEASE));
                // X5: the error within the wait (zero) plus two operation timeouts.
                assertThat(Duration.ofNanos(System.nanoTime() - paused))
                        .isLessThan(operationTimeout.multipliedBy(2).plus(TOLERANCE));
                Awaitility.await().until(() -> System.nanoTime() - paused >= pause.toNanos());
            } finally {
                member.resume();
            }
            assertThat(failure)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));

            // Whether etcd applies the late put or drops it, the lock is free soon after the
            // pause, not after the 60 s lease: the undo's revocation is repeated until etcd answers.
            Optional<LockInfo> afterPause = Awaitility.await()
                    .atMost(TOLERANCE.multipliedBy(2))
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreException(LockException.class)
                    .until(() -> manager.inspect("late"), Optional::isEmpty);
            assertThat(afterPause).isEmpty();
            assertThat(manager.tryAcquire("late", "other", Duration.ZERO, LONG_LEASE))
                    .isPresent();
        }
    }

    private static LockManager open(UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated("etcd", decorator), settings());
    }

    private static Map<String, String> settings(String... keysAndValues) {
        return ETCD.settings(EtcdExtension.freshNamespace("undo"), keysAndValues);
    }
}
