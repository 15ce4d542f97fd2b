package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockSkipped;
import io.dlm.interceptor.LockWaitTimedOut;
import io.dlm.tck.TckTimings;
import jakarta.enterprise.inject.spi.DefinitionException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Skipping a call whose lock is taken (S1) and holding a lock past a short call (S2), in Weld SE. */
class SkipAndHoldTest {

    private static final Duration HOLD = Duration.ofMillis(SkipAndHoldBeans.HOLD_MILLIS);

    @Test
    void S1_skipReturnsEmptyValuesWithoutCallingTheMethod() throws Exception {
        try (TestContainer container = TestContainer.start(SkipAndHoldBeans.Skipping.class, Beans.EventLog.class)) {
            LockManager manager = container.get(LockManager.class);
            SkipAndHoldBeans.Skipping bean = container.get(SkipAndHoldBeans.Skipping.class);
            Lease blocker = takenElsewhere(manager);

            assertThat(bean.text()).isNull();
            assertThat(bean.optional()).isEmpty();
            assertThat(bean.optionalInt()).isEqualTo(OptionalInt.empty());
            assertThat(bean.optionalLong()).isEqualTo(OptionalLong.empty());
            assertThat(bean.optionalDouble()).isEqualTo(OptionalDouble.empty());
            CompletableFuture<String> stage = bean.stage().toCompletableFuture();
            assertThat(stage).isCompletedWithValue(null);
            CompletableFuture<String> future = bean.future();
            assertThat(future).isCompletedWithValue(null);
            // Each caller gets its own future: completing one does not change the next one.
            future.obtrudeValue("changed by the caller");
            assertThat(bean.future()).isCompletedWithValue(null);
            assertThat(bean.number()).isZero();
            assertThat(bean.bigNumber()).isZero();
            assertThat(bean.fraction()).isZero();
            assertThat(bean.flag()).isFalse();
            assertThat(bean.letter()).isEqualTo('\0');
            bean.job();
            assertThat(bean.calls).hasValue(0);

            Beans.EventLog log = container.get(Beans.EventLog.class);
            assertThat(log.of(LockSkipped.class))
                    .hasSize(14) // thirteen methods, future() twice
                    .allSatisfy(skipped -> {
                        assertThat(skipped.resourceId()).isEqualTo(SkipAndHoldBeans.SKIPPED);
                        assertThat(skipped.timeout()).isEqualTo(Duration.ZERO);
                    })
                    .extracting(LockSkipped::operation)
                    .contains("Skipping#text", "Skipping#number", "Skipping#job");
            assertThat(log.of(LockWaitTimedOut.class)).isEmpty();

            // Free again: the same methods run.
            assertThat(blocker.release()).isTrue();
            assertThat(bean.text()).isEqualTo("ran");
            assertThat(bean.number()).isEqualTo(1);
            assertThat(bean.calls).hasValue(2);
            assertThat(manager.inspect(SkipAndHoldBeans.SKIPPED)).isEmpty();
        }
    }

    @Test
    void S1_failStaysTheDefault() {
        try (TestContainer container = TestContainer.start(SkipAndHoldBeans.Skipping.class, Beans.EventLog.class)) {
            LockManager manager = container.get(LockManager.class);
            SkipAndHoldBeans.Skipping bean = container.get(SkipAndHoldBeans.Skipping.class);
            takenElsewhere(manager);

            assertThatThrownBy(bean::failing)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.RESOURCE_LOCKED))
                    .hasMessageContaining("DLM2001");
            assertThat(bean.calls).hasValue(0);
            Beans.EventLog log = container.get(Beans.EventLog.class);
            assertThat(log.of(LockWaitTimedOut.class)).singleElement();
            assertThat(log.of(LockSkipped.class)).isEmpty();
        }
    }

    @Test
    void S1_nestedCallForAHeldResourceIsSkipped() throws Exception {
        try (TestContainer container = TestContainer.start(
                SkipAndHoldBeans.NestedOuter.class, SkipAndHoldBeans.NestedInner.class, Beans.EventLog.class)) {
            // The inner timeout is an hour: only the nested-call detection lets this end in time.
            CompletableFuture<Optional<String>> call = CompletableFuture.supplyAsync(
                    () -> container.get(SkipAndHoldBeans.NestedOuter.class).callInner());
            assertThat(call.get(patience().toMillis(), TimeUnit.MILLISECONDS)).isEmpty();
            assertThat(container.get(SkipAndHoldBeans.NestedInner.class).calls).hasValue(0);
            assertThat(container.get(Beans.EventLog.class).of(LockSkipped.class))
                    .singleElement()
                    .satisfies(skipped -> {
                        assertThat(skipped.operation()).isEqualTo("NestedInner#run");
                        assertThat(skipped.timeout()).isEqualTo(Duration.ZERO);
                    });
            assertThat(container.get(LockManager.class).inspect("nested-skip")).isEmpty();
        }
    }

    @Test
    void S2_holdAtLeastKeepsTheLockPastAShortCallWithoutHoldingUpTheCaller() {
        try (TestContainer container = TestContainer.start(SkipAndHoldBeans.Holding.class, Beans.EventLog.class)) {
            LockManager manager = container.get(LockManager.class);
            SkipAndHoldBeans.Holding bean = container.get(SkipAndHoldBeans.Holding.class);
            Beans.EventLog log = container.get(Beans.EventLog.class);
            assertThat(manager.inspect("held")).isEmpty(); // opens the manager before the clock starts

            long before = System.nanoTime();
            long token = bean.quick();
            // The lock was acquired after `before`: a call that waited out the hold would end after this.
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(HOLD);
            assertThat(manager.inspect("held"))
                    .hasValueSatisfying(info -> assertThat(info.fencingToken()).isEqualTo(token));
            assertThat(log.of(LockReleased.class)).isEmpty();

            Duration freeAfter = freeAfter(manager, "held", before);
            assertThat(freeAfter).isGreaterThanOrEqualTo(HOLD);
            await().atMost(patience()).until(() -> !log.of(LockReleased.class).isEmpty());
            assertThat(log.of(LockReleased.class))
                    .singleElement()
                    .satisfies(released -> assertThat(released.fencingToken()).isEqualTo(token));
        }
    }

    @Test
    void S2_anEngineThatDoesNotAnswerTheConfirmingRenewalStillGetsTheLockHeldOn() {
        try (TestContainer container =
                TestContainer.start(Map.of(), ScriptedLockManager.class, SkipAndHoldBeans.Holding.class)) {
            ScriptedLockManager manager = container.get(ScriptedLockManager.class);
            SkipAndHoldBeans.Holding bean = container.get(SkipAndHoldBeans.Holding.class);
            manager.backend.blockingRenewalsFail = true;
            long token = bean.quick();
            // Still valid by its local deadline (K2): held on, not released early for another node
            // to run the same firing again (S2).
            assertThat(manager.inspect("held"))
                    .as("the lock right after the call, the engine silent on the confirming renewal")
                    .hasValueSatisfying(info -> assertThat(info.fencingToken()).isEqualTo(token));
        }
    }

    @Test
    void S2_holdAtLeastHoldsOnWhenTheMethodThrows() {
        try (TestContainer container = TestContainer.start(SkipAndHoldBeans.Holding.class)) {
            LockManager manager = container.get(LockManager.class);
            SkipAndHoldBeans.Holding bean = container.get(SkipAndHoldBeans.Holding.class);
            assertThat(manager.inspect("held-throws")).isEmpty();
            long before = System.nanoTime();
            assertThatThrownBy(bean::throwing)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("job failed")
                    .hasNoSuppressedExceptions();
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(HOLD);
            assertThat(freeAfter(manager, "held-throws", before)).isGreaterThanOrEqualTo(HOLD);
        }
    }

    @Test
    void S2_holdAtLeastOfAStageCountsFromItsCompletion() throws Exception {
        try (TestContainer container = TestContainer.start(SkipAndHoldBeans.Holding.class)) {
            LockManager manager = container.get(LockManager.class);
            SkipAndHoldBeans.Holding bean = container.get(SkipAndHoldBeans.Holding.class);
            assertThat(manager.inspect("held-async")).isEmpty();
            long before = System.nanoTime();
            CompletableFuture<String> result = bean.async().toCompletableFuture();
            assertThat(result).isNotDone();
            bean.pending.complete("done");
            assertThat(result.get(patience().toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("done");
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(HOLD);
            assertThat(freeAfter(manager, "held-async", before)).isGreaterThanOrEqualTo(HOLD);
        }
    }

    @Test
    void S2_aLeaseLostWhileTheMethodRanIsStillReported() {
        try (TestContainer container = TestContainer.start(SkipAndHoldBeans.Holding.class, Beans.EventLog.class)) {
            assertThatThrownBy(container.get(SkipAndHoldBeans.Holding.class)::losing)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD))
                    .hasMessageContaining("DLM2003");
            assertThat(container.get(Beans.EventLog.class).of(LeaseLost.class)).singleElement();
            assertThat(container.get(Beans.EventLog.class).of(LockReleased.class))
                    .isEmpty();
        }
    }

    @Test
    void S1_S2_whenLockedAndHoldAtLeastAreOverriddenByConfig() throws Exception {
        String bean = SkipAndHoldBeans.Overridden.class.getName();
        Map<String, String> config = Map.of(
                bean + "/run/DistributedLock/whenLocked",
                "skip",
                bean + "/DistributedLock/holdAtLeast",
                "60",
                "DistributedLock/unit",
                "SECONDS");
        try (TestContainer container = TestContainer.start(config, SkipAndHoldBeans.Overridden.class)) {
            LockPlan plan = container
                    .get(DlmExtension.class)
                    .plansOf(SkipAndHoldBeans.Overridden.class)
                    .get(SkipAndHoldBeans.Overridden.class.getDeclaredMethod("run"));
            assertThat(plan.skip()).isTrue();
            assertThat(plan.holdAtLeast()).isEqualTo(Duration.ofSeconds(60));

            SkipAndHoldBeans.Overridden overridden = container.get(SkipAndHoldBeans.Overridden.class);
            LockManager manager = container.get(LockManager.class);
            assertThat(overridden.run()).isEqualTo("ran");
            // Held on for a minute after the call (closing the manager releases it): a second call
            // is skipped, not failed.
            assertThat(overridden.run()).isNull();
            assertThat(overridden.calls).hasValue(1);
            assertThat(manager.inspect("overridden")).isPresent();
        }
    }

    @Test
    void D6_invalidWhenLockedOverrideFailsDeployment() {
        Map<String, String> config = Map.of("DistributedLock/whenLocked", "WAIT");
        assertThatThrownBy(() -> TestContainer.start(config, SkipAndHoldBeans.Overridden.class)
                        .close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("DLM1010: Invalid @DistributedLock.whenLocked on Overridden#run")
                .hasMessageContaining("expected FAIL or SKIP");
    }

    @Test
    void D5_negativeHoldAtLeastFailsDeploymentNamingBeanAndMethod() {
        assertThatThrownBy(() ->
                        TestContainer.start(SkipAndHoldBeans.NegativeHold.class).close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining(
                        "DLM1013: Invalid @DistributedLock.holdAtLeast on NegativeHold#run: must not be negative,"
                                + " was -1");
        Map<String, String> config =
                Map.of(SkipAndHoldBeans.Overridden.class.getName() + "/run/DistributedLock/holdAtLeast", "-5");
        assertThatThrownBy(() -> TestContainer.start(config, SkipAndHoldBeans.Overridden.class)
                        .close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("DLM1013: Invalid @DistributedLock.holdAtLeast on Overridden#run");
    }

    /**
     * Tries the resource as another client until it gets it, and tells how long after {@code
     * since} that was; the lock was acquired after {@code since}, so a hold kept shows as at least
     * the hold.
     */
    private static Duration freeAfter(LockManager manager, String resourceId, long since) {
        long[] freeAt = new long[1];
        await().pollInterval(Duration.ofMillis(10)).atMost(patience()).until(() -> {
            if (manager.lock(resourceId, "next-in-line", 0)) {
                freeAt[0] = System.nanoTime();
                return true;
            }
            return false;
        });
        return Duration.ofNanos(freeAt[0] - since);
    }

    /** Takes the skipping beans' resource as another client, for longer than any test runs. */
    private static Lease takenElsewhere(LockManager manager) {
        return manager.tryAcquire(SkipAndHoldBeans.SKIPPED, "someone-else", Duration.ZERO, Duration.ofMinutes(10))
                .orElseThrow();
    }

    private static Duration patience() {
        return TckTimings.scaled(Duration.ofSeconds(30));
    }
}
