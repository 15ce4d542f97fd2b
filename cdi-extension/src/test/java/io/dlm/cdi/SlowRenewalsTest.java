package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockReleased;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many intercepted calls on an engine whose renewals are slow or never answered (D2, D4, K1-K3):
 * the runtime keeps every lease alive while renewals come back in time, without one renewal
 * holding up another, and reports each loss at its own local deadline, not when a hung renewal
 * returns.
 */
class SlowRenewalsTest {

    private static final int CALLS = 20;
    private static final Duration LEASE = Duration.ofSeconds(Beans.SlowWork.LEASE_SECONDS);
    private static final Duration LATENCY = Duration.ofMillis(1_500);
    /** Each call outlives its lease, so it holds only as long as renewals keep it. */
    private static final long RUN_MILLIS = 5_000;
    /** The default {@code dlm.lease.drift}, 1 %, kept back from each lease (K2). */
    private static final Duration DRIFT_MARGIN = LEASE.dividedBy(100);

    private static final Duration PATIENCE = TckTimings.scaledMillis(60_000);

    private TestContainer container;
    private ExecutorService callers;
    private ScriptedBackend engine;
    private Beans.SlowWork work;
    private Beans.LossClock losses;
    private Beans.EventLog log;

    @BeforeEach
    void start() {
        callers = Executors.newFixedThreadPool(CALLS);
    }

    private void deploy(Map<String, String> config) {
        container = TestContainer.start(
                config, ScriptedLockManager.class, Beans.SlowWork.class, Beans.LossClock.class, Beans.EventLog.class);
        engine = container.get(ScriptedLockManager.class).backend;
        work = container.get(Beans.SlowWork.class);
        losses = container.get(Beans.LossClock.class);
        log = container.get(Beans.EventLog.class);
    }

    @AfterEach
    void stop() {
        callers.shutdownNow();
        if (container != null) {
            container.close();
        }
    }

    /**
     * Renewals that take 1.5 s each keep 3 s leases: each renewal comes back within the lease it
     * extends, and twenty of them in flight at once do not queue behind each other.
     *
     * <p>A 1 s lease could not be kept by renewals that take 1.5 s at all: the local deadline
     * counts from when a request was sent (K2), so each reply would arrive after the deadline it
     * was meant to move.
     *
     * <p>This holds only because the runtime sends a lease's next renewal when it is due even
     * while the last one is still unanswered: were renewals sent one after another's reply, a
     * lease would have to outlast two round trips (3 s), and every lease here would be lost 30 ms
     * before the reply that would have moved its deadline.
     */
    @Test
    void K1_slowRenewalsKeepEveryLeaseWhileTheyComeBackInTime() throws Exception {
        slowRenewalsKeepEveryLease(Map.of());
    }

    private void slowRenewalsKeepEveryLease(Map<String, String> config) throws Exception {
        deploy(config);
        engine.latency = LATENCY;
        engine.mode = ScriptedBackend.Renewals.LATE;

        List<Future<String>> calls = startCalls();

        for (int i = 0; i < CALLS; i++) {
            assertThat(calls.get(i).get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                    .isEqualTo("done-" + i);
        }
        assertThat(log.of(LeaseLost.class)).isEmpty();
        assertThat(log.of(LockReleased.class)).hasSize(CALLS);
        // Each call ran past its first lease: renewals, not luck, kept it.
        assertThat(engine.renewals).hasValueGreaterThanOrEqualTo(CALLS * 2);
    }

    /**
     * Renewals that are never answered: each lease is reported lost at its own local deadline
     * (acquisition sent + lease - drift margin), within 50 ms, while its renewal still hangs, and
     * each call ends with {@code LOCK_NOT_HELD}.
     */
    @Test
    void K3_unansweredRenewalsLoseEachLeaseAtItsLocalDeadline() throws Exception {
        deploy(Map.of());
        engine.mode = ScriptedBackend.Renewals.NEVER;

        List<Future<String>> calls = startCalls();

        for (Future<String> call : calls) {
            assertThatThrownBy(() -> call.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD));
        }
        assertThat(log.of(LockReleased.class)).isEmpty();
        assertThat(losses.events)
                .hasSize(CALLS)
                .allSatisfy(e -> assertThat(e.reason()).isEqualTo(LeaseLost.Reason.HEARTBEAT_FAILED));
        Duration tolerance = TckTimings.scaledMillis(50);
        List<Duration> lateness = log.of(LockAcquired.class).stream()
                .map(LockAcquired::clientId)
                .map(client -> Duration.ofNanos(losses.firedAt.get(client)
                        - (engine.acquireSentAt.get(client)
                                + LEASE.minus(DRIFT_MARGIN).toNanos())))
                .toList();
        assertThat(lateness)
                .as("each LeaseLost against its lease's local deadline: %s", lateness)
                .hasSize(CALLS)
                .allSatisfy(late -> assertThat(late).isBetween(tolerance.negated(), tolerance));
    }

    private List<Future<String>> startCalls() {
        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            int id = i;
            calls.add(callers.submit(() -> work.run(id, RUN_MILLIS)));
        }
        return calls;
    }
}
