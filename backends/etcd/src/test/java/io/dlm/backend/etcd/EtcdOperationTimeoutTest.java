package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.tck.OperationTimeoutTck;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 18: short operation timeouts work on etcd. jetcd's retry policy refused its own settings
 * when {@code dlm.operation.timeout} was about half a second or less ("maxDuration must be > the
 * delay"), so every call failed; its retry pacing is now derived from the operation timeout
 * ({@link EtcdClients.Retries}). Against a real member: locks, inspections and releases work, and
 * with the member stopped each of them fails with {@code INTERNAL_ERROR} within its X1 bound (an
 * acquisition within two operation timeouts, X5: its undo may be tried too).
 */
class EtcdOperationTimeoutTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    /** What a loaded machine may add to a call's bound before the call returns. */
    private static final Duration SLACK = TckTimings.scaledMillis(500);

    private final AtomicInteger resources = new AtomicInteger();

    @ParameterizedTest(name = "dlm.operation.timeout={0}ms")
    @ValueSource(longs = {100, 400, 1_000})
    void callsWorkAndFailWithinTheShortTimeout(long millis) {
        Duration timeout = Duration.ofMillis(millis);
        EtcdMember member = ETCD.members().get(0);
        try (LockManager manager = open(timeout)) {
            // The first calls connect and load classes, which may outlast a short timeout; a call
            // on a busy host may too, so a round is tried until one succeeds. Before the fix none did.
            Awaitility.await("lock, inspect and unlock with a " + millis + " ms operation timeout")
                    .atMost(Duration.ofSeconds(20))
                    .ignoreException(LockException.class)
                    .until(() -> OperationTimeoutTck.aRoundWorks(manager));
            String held = "held-" + resources.incrementAndGet();
            Awaitility.await("a lock held through the outage")
                    .atMost(Duration.ofSeconds(10))
                    .ignoreException(LockException.class)
                    .until(() -> manager.lock(held, "c", 0));

            member.stop();
            try {
                Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
                calls.put("lock", () -> manager.lock("other", "c", 0));
                calls.put("inspect", () -> manager.inspect(held));
                calls.put("unlock", () -> manager.unlock(held, "c"));
                calls.forEach((name, call) -> {
                    // X1; an acquisition of unknown outcome is undone first (X5), a second timeout.
                    Duration bound = name.equals("lock") ? timeout.multipliedBy(2) : timeout;
                    long start = System.nanoTime();
                    Throwable thrown = catchThrowable(call);
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    assertThat(thrown)
                            .as("%s while etcd is stopped", name)
                            .isInstanceOfSatisfying(
                                    LockException.class,
                                    e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
                    assertThat(thrown.getCause())
                            .as("cause of %s's failure", name)
                            .isNotNull();
                    assertThat(took).as("time %s took to fail", name).isLessThan(bound.plus(SLACK));
                });
            } finally {
                ETCD.start(member);
                ETCD.awaitHealthy();
            }
        }
    }

    /** A manager on the test's member, in a namespace of its own, with {@code timeout} as its operation timeout. */
    private static LockManager open(Duration timeout) {
        return ETCD.open(EtcdExtension.freshNamespace("timeouts"), "dlm.operation.timeout", timeout.toMillis() + "ms");
    }
}
