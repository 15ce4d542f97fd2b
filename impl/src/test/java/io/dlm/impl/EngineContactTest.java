package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.EngineContact;
import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Acquisition;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * O2: a manager knows, from the calls it makes anyway, when its engine last answered and since
 * when its calls fail; the engine counts as not answering once they have failed for an operation
 * timeout, and as answering again at its next answer. Reading it calls nothing.
 */
class EngineContactTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Test
    void O2_aManagerThatHasCalledNothingKnowsNothingWrong() {
        try (LockManager manager = open(new SwitchableEngine(), "1s")) {
            EngineContact contact = manager.engineContact();
            assertThat(contact.lastAnswerAgo()).isEmpty();
            assertThat(contact.failingFor()).isEmpty();
            assertThat(contact.answering()).isTrue();
            assertThat(contact.backend()).isEqualTo("memory");
        }
    }

    @Test
    void O2_failingCallsMakeTheEngineNotAnsweringAfterAnOperationTimeoutAndAnAnswerHealsIt() {
        SwitchableEngine engine = new SwitchableEngine();
        try (LockManager manager = open(engine, "1s")) {
            // A lease (twice the timeout) that outlasts the test: inspect finds it at the end.
            assertThat(manager.lock("r", "a", 60_000)).isTrue();
            EngineContact answered = manager.engineContact();
            assertThat(answered.lastAnswerAgo()).isPresent();
            assertThat(answered.failingFor()).isEmpty();
            assertThat(answered.answering()).isTrue();

            engine.down = true;
            assertThatThrownBy(() -> manager.inspect("r")).isInstanceOf(LockException.class);
            EngineContact failing = manager.engineContact();
            assertThat(failing.failingFor()).isPresent();
            assertThat(failing.lastFailure())
                    .hasValueSatisfying(text -> assertThat(text).contains("engine down"));
            assertThat(failing.answering())
                    .as("failing for less than an operation timeout")
                    .isTrue();

            AtomicLong lastCallEnded = new AtomicLong();
            await().atMost(PATIENCE).until(() -> {
                // Calls keep failing, as they do while traffic still comes.
                assertThatThrownBy(() -> manager.inspect("r")).isInstanceOf(LockException.class);
                lastCallEnded.set(System.nanoTime());
                return !manager.engineContact().answering();
            });
            int calls = engine.calls;
            manager.engineContact();
            assertThat(engine.calls).as("reading the contact calls the engine").isEqualTo(calls);

            // No call for two operation timeouts: the failure no longer counts, so that a
            // readiness check that stopped the traffic lets it back to find out. The failure was
            // recorded just before its call returned; half a timeout leaves room for this thread
            // to be paused in between, and still tells two timeouts from one.
            await().atMost(PATIENCE).until(() -> manager.engineContact().answering());
            assertThat(Duration.ofNanos(System.nanoTime() - lastCallEnded.get()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1_500));
            assertThat(manager.engineContact().lastFailureAgo()).isPresent();

            engine.down = false;
            assertThat(manager.inspect("r")).isPresent();
            EngineContact healed = manager.engineContact();
            assertThat(healed.failingFor()).isEmpty();
            assertThat(healed.answering()).isTrue();
            assertThat(healed.lastFailure())
                    .as("the last failure is kept for the record")
                    .isPresent();
        }
    }

    @Test
    void O2_backgroundRenewalsCountAsContactToo() {
        SwitchableEngine engine = new SwitchableEngine();
        try (LockManager manager = open(engine, "1s")) {
            Lease lease = manager.tryAcquire("r", "a", Duration.ZERO, Duration.ofSeconds(3))
                    .orElseThrow()
                    .keepAlive();
            // Only the keep-alive calls the engine from here on.
            engine.down = true;
            await().atMost(PATIENCE)
                    .until(() -> manager.engineContact().failingFor().isPresent());
            engine.down = false;
            await().atMost(PATIENCE)
                    .until(() -> manager.engineContact().failingFor().isEmpty());
            assertThat(lease.isValid()).isTrue();
        }
    }

    @Test
    void O2_anInProcessEngineAlwaysAnswers() {
        try (LockManager manager = LockManagers.inMemory()) {
            EngineContact contact = manager.engineContact();
            assertThat(contact.answering()).isTrue();
            assertThat(contact.lastAnswerAgo()).contains(Duration.ZERO);
            assertThat(contact.backend()).isEqualTo("memory");
        }
    }

    private static LockManager open(SwitchableEngine engine, String operationTimeout) {
        return DefaultLockManager.open(
                engine, Map.of("dlm.backend", "memory", "dlm.operation.timeout", operationTimeout), Ticker.system());
    }

    /** The in-memory engine behind a switch that makes every call fail, as an engine gone away. */
    private static final class SwitchableEngine extends ForwardingLockBackend {
        volatile boolean down;
        volatile int calls;

        SwitchableEngine() {
            super(new MemoryLockBackend(Ticker.system()));
        }

        private void call() {
            calls++;
            if (down) {
                throw new IllegalStateException("engine down");
            }
        }

        @Override
        public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
            call();
            return super.acquire(resourceId, clientId, leaseNanos, attempt);
        }

        @Override
        public boolean release(String resourceId, String clientId, long fencingToken) {
            call();
            return super.release(resourceId, clientId, fencingToken);
        }

        @Override
        public boolean renew(String resourceId, String clientId, long fencingToken) {
            call();
            return super.renew(resourceId, clientId, fencingToken);
        }

        @Override
        public Optional<LockInfo> inspect(String resourceId) {
            call();
            return super.inspect(resourceId);
        }
    }
}
