package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.tck.support.CapturedLog;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ReplaceableClient} when the member only stalls ({@code SIGSTOP}): calls and the probe go
 * unanswered, so the client is replaced, but a waiter's watch opened on the old client is not cut
 * by that (N4): once the member runs again, a release reaches the waiter within a second.
 */
class EtcdClientReplacementTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration OPERATION_TIMEOUT = Duration.ofMillis(500);

    @Test
    void aReplacementForAStalledMemberKeepsTheWaitersWatch() throws Exception {
        String namespace = EtcdExtension.freshNamespace("replacement");
        EtcdMember member = ETCD.members().get(0);
        try (LockManager holderSide = open(namespace);
                LockManager waiterSide = open(namespace);
                CapturedLog log = new CapturedLog(ReplaceableClient.class)) {
            // The first calls load classes and connect, which may take longer than the short timeout.
            for (LockManager manager : new LockManager[] {holderSide, waiterSide}) {
                Awaitility.await("a first call")
                        .atMost(Duration.ofSeconds(20))
                        .ignoreException(LockException.class)
                        .until(() -> manager.lock("warm-up", "c", 0) && manager.unlock("warm-up", "c"));
            }
            assertThat(holderSide.lock("r", "holder", 0)).isTrue();
            CompletableFuture<Boolean> waiter =
                    CompletableFuture.supplyAsync(() -> waiterSide.lock("r", "waiter", 30_000));
            // Parked behind the holder, its watch registered.
            Awaitility.await()
                    .during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !waiter.isDone());

            member.pause();
            try {
                Throwable stalled = catchThrowable(() -> waiterSide.inspect("other"));
                assertThat(stalled)
                        .isInstanceOfSatisfying(
                                LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
                Awaitility.await("the stalled client replaced")
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> log.warnings().stream().anyMatch(w -> w.contains("Replaced the etcd client")));
            } finally {
                member.resume();
            }

            Awaitility.await("the holder's side answers again")
                    .atMost(Duration.ofSeconds(10))
                    .ignoreException(LockException.class)
                    .until(() -> holderSide.inspect("r").isPresent());
            long released = System.nanoTime();
            assertThat(holderSide.unlock("r", "holder")).isTrue();
            assertThat(waiter.get(10, TimeUnit.SECONDS))
                    .as("the waiter gets the lock")
                    .isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - released))
                    .as("N4: the release reaches the waiter through the watch it opened before the replacement")
                    .isLessThan(Duration.ofMillis(1_250));
            assertThat(waiterSide.unlock("r", "waiter")).isTrue();
        }
    }

    private static LockManager open(String namespace) {
        return ETCD.open(
                namespace,
                "dlm.operation.timeout",
                OPERATION_TIMEOUT.toMillis() + "ms",
                "dlm.lease.min",
                "30s",
                // Only the watch wakes the waiter: no look at the lock while the member stalls.
                "dlm.wait.recheck",
                "60s");
    }
}
