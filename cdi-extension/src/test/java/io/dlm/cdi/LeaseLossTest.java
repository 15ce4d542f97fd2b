package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockReleased;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Keep-alive and lost leases through the interceptor (D2, D4, K1, K3), on the real runtime over a
 * memory engine whose renewals a test can refuse ({@link ScriptedBackend}).
 */
class LeaseLossTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private TestContainer container;
    private ExecutorService pool;
    private ScriptedBackend engine;
    private Beans.LongRunning bean;
    private Beans.EventLog log;

    @BeforeEach
    void start() {
        container = TestContainer.start(
                ScriptedLockManager.class, Beans.LongRunning.class, Beans.EventLog.class, Beans.Counter.class);
        pool = Executors.newSingleThreadExecutor();
        // The injected LockManager is the alternative: reach its engine through the bean type.
        engine = container.get(ScriptedLockManager.class).backend;
        bean = container.get(Beans.LongRunning.class);
        log = container.get(Beans.EventLog.class);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        container.close();
    }

    @Test
    void D2_heartbeatsKeepTheLeaseAliveLongerThanItsLength() throws Exception {
        Future<String> call = pool.submit(bean::hold);
        assertThat(bean.started.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        // Four renewals at a third of a 300 ms lease span longer than the lease itself.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(engine.renewals).hasValueGreaterThanOrEqualTo(4));
        assertThat(container.get(LockManager.class).inspect("long")).isPresent();
        bean.release.countDown();
        assertThat(call.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(log.of(LeaseLost.class)).isEmpty();
        assertThat(log.of(LockReleased.class)).hasSize(1);
    }

    @Test
    void D4_refusedHeartbeatFiresEventAtOnceAndFailsTheCallWhenItReturns() throws Exception {
        engine.mode = ScriptedBackend.Renewals.REFUSE;
        Future<String> call = pool.submit(bean::hold);
        // The event arrives while the method still runs.
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(log.of(LeaseLost.class))
                        .singleElement()
                        .satisfies(e -> assertThat(e.reason()).isEqualTo(LeaseLost.Reason.HEARTBEAT_REFUSED)));
        assertThat(call).isNotDone();

        bean.release.countDown();
        assertThatThrownBy(() -> call.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD))
                .hasMessageContaining("'long'");
        assertThat(log.of(LeaseLost.class)).hasSize(1);
    }

    @Test
    void D4_aLossReportedDuringTheCallIsWhatTheCallerHearsWhenTheFinalReleaseFails() throws Exception {
        engine.mode = ScriptedBackend.Renewals.REFUSE;
        Future<String> call = pool.submit(bean::hold);
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(log.of(LeaseLost.class)).hasSize(1));
        engine.releasesFail = true;
        bean.release.countDown();
        // The engine's failure on release comes after the loss the runtime already reported: the
        // caller learns that the lease was lost, not merely that the release failed.
        assertThatThrownBy(() -> call.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD));
        assertThat(log.of(LeaseLost.class)).hasSize(1);
        engine.releasesFail = false;
    }

    @Test
    void D4_interruptPolicyInterruptsTheMethodAndClearsTheFlag() throws Exception {
        engine.mode = ScriptedBackend.Renewals.REFUSE;
        Future<Boolean> interruptedAfter = pool.submit(() -> {
            try {
                bean.holdUntilInterrupted();
                throw new AssertionError("LOCK_NOT_HELD expected");
            } catch (LockException e) {
                assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD);
                return Thread.currentThread().isInterrupted();
            }
        });
        assertThat(interruptedAfter.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isFalse();
        assertThat(log.of(LeaseLost.class)).hasSize(1);
    }

    @Test
    void D4_interruptPolicyFailsAnAsyncCallsStageAtOnce() throws Exception {
        engine.mode = ScriptedBackend.Renewals.REFUSE;
        CompletableFuture<String> result = bean.holdAsync().toCompletableFuture();
        // The method's own stage never completes; the loss alone ends the caller's.
        assertThatThrownBy(() -> result.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD));
        assertThat(bean.pending).isNotDone();
        assertThat(log.of(LeaseLost.class))
                .singleElement()
                .satisfies(e -> assertThat(e.resourceId()).isEqualTo("long-async"));
        bean.pending.complete("late");
        await().atMost(PATIENCE)
                .until(() ->
                        container.get(LockManager.class).inspect("long-async").isEmpty());
        assertThat(log.of(LeaseLost.class)).hasSize(1);
    }

    @Test
    void D4_heartbeatsStopBeforeTheRelease() throws Exception {
        Beans.Counter counter = container.get(Beans.Counter.class);
        for (int i = 0; i < 200; i++) {
            counter.increment();
        }
        Future<String> call = pool.submit(bean::hold);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(engine.renewals).hasValueGreaterThanOrEqualTo(2));
        bean.release.countDown();
        call.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(engine.renewalsAfterRelease).hasValue(0);
    }
}
