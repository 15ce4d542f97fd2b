package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockWaitTimedOut;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The interceptor's behaviour in Weld SE against the memory backend (D2-D4). */
class DistributedLockInterceptorTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private TestContainer container;
    private ExecutorService pool;

    @BeforeEach
    void start() {
        container = TestContainer.start(
                Beans.Counter.class,
                Beans.Templates.class,
                Beans.Outer.class,
                Beans.Inner.class,
                Beans.Slot.class,
                Beans.SelfReleasing.class,
                Beans.Async.class,
                Beans.EventLog.class);
        pool = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        container.close();
    }

    @Test
    void D2_concurrentInvocationsExcludeEachOther() throws Exception {
        Beans.Counter counter = container.get(Beans.Counter.class);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            workers.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < 100; i++) {
                    counter.increment();
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> worker : workers) {
            worker.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        assertThat(counter.value()).isEqualTo(800);
    }

    @Test
    void D2_templatesResolveNamesPositionsAndPropertyPaths() {
        Beans.Templates templates = container.get(Beans.Templates.class);
        Beans.Order order = new Beans.Order("o-7", new Beans.Customer("ada"), "eu");

        assertThat(templates.byName("42")).isEqualTo("order-42");
        assertThat(templates.byPosition("a", 3)).isEqualTo("3:a");
        assertThat(templates.byPath(order)).isEqualTo("o-7/ada/eu/true");
        assertThat(templates.byPath(new Beans.Order("o-8", null, null))).isEqualTo("o-8/null/null/true");
        assertThat(templates.byDefault()).isEqualTo(Beans.Templates.class.getName() + ".byDefault");
    }

    @Test
    void D2_fencingTokenGrowsWithEachInvocation() {
        Beans.Templates templates = container.get(Beans.Templates.class);
        long first = templates.token("1");
        long second = templates.token("1");
        assertThat(second).isGreaterThan(first);
    }

    @Test
    void D2_lockReleasedWhenMethodThrows() {
        Beans.Slot slot = container.get(Beans.Slot.class);
        assertThatThrownBy(slot::fail).isInstanceOf(IllegalStateException.class).hasMessage("business failure");
        assertThat(container.get(LockManager.class).inspect("slot-failing")).isEmpty();
        assertThat(container.get(Beans.EventLog.class).of(LockReleased.class))
                .extracting(LockReleased::resourceId)
                .contains("slot-failing");
    }

    @Test
    void D3_notAcquiredInTimeThrowsResourceLockedAndSkipsMethod() {
        LockManager manager = container.get(LockManager.class);
        Beans.Slot slot = container.get(Beans.Slot.class);
        assertThat(manager.lock("slot", "someone-else", 0)).isTrue();

        assertThatThrownBy(slot::use)
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.RESOURCE_LOCKED))
                .hasMessageContaining("DLM2001")
                .hasMessageContaining("'slot'");
        assertThat(slot.calls).hasValue(0);
        assertThat(container.get(Beans.EventLog.class).of(LockWaitTimedOut.class))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.resourceId()).isEqualTo("slot");
                    assertThat(e.timeout()).isEqualTo(Duration.ofMillis(200));
                    assertThat(e.operation()).isEqualTo("Slot#use");
                });

        manager.unlock("slot", "someone-else");
        slot.use();
        assertThat(slot.calls).hasValue(1);
    }

    @Test
    void D3_nestedCallForHeldResourceFailsFast() throws Exception {
        Beans.Outer outer = container.get(Beans.Outer.class);
        // The timeout is an hour: only fail-fast detection lets this finish.
        Future<?> call = pool.submit(outer::callInner);
        assertThatThrownBy(() -> call.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.RESOURCE_LOCKED))
                .hasMessageContaining("DLM2002");
        assertThat(container.get(Beans.Inner.class).calls).hasValue(0);
        assertThat(container.get(LockManager.class).inspect("shared")).isEmpty();
    }

    @Test
    void D3_nestedCallForOtherResourceRuns() {
        container.get(Beans.Outer.class).callOther("x");
        assertThat(container.get(Beans.Inner.class).calls).hasValue(1);
    }

    @Test
    void D4_finalReleaseReturningFalseIsLockNotHeld() {
        Beans.SelfReleasing bean = container.get(Beans.SelfReleasing.class);
        assertThatThrownBy(bean::run)
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD))
                .hasMessageContaining("DLM2003");
        assertThat(container.get(Beans.EventLog.class).of(LeaseLost.class))
                .singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo(LeaseLost.Reason.RELEASE_REFUSED));
    }

    @Test
    void D4_methodExceptionPropagatesWithLossSuppressed() {
        Beans.SelfReleasing bean = container.get(Beans.SelfReleasing.class);
        assertThatThrownBy(bean::runAndThrow)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("business failure")
                .satisfies(e -> assertThat(e.getSuppressed())
                        .singleElement()
                        .isInstanceOfSatisfying(
                                LockException.class, s -> assertThat(s.error()).isEqualTo(LockError.LOCK_NOT_HELD)));
    }

    @Test
    void D2_completionStageKeepsLockUntilItCompletes() throws Exception {
        Beans.Async async = container.get(Beans.Async.class);
        LockManager manager = container.get(LockManager.class);

        CompletableFuture<String> result = async.start().toCompletableFuture();
        assertThat(result).isNotDone();
        assertThat(manager.inspect("async")).isPresent();

        async.pending.complete("finished");
        assertThat(result.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("finished");
        assertThat(manager.inspect("async")).isEmpty();
    }

    @Test
    void D2_failedCompletionStageReleasesAndFails() {
        Beans.Async async = container.get(Beans.Async.class);
        CompletableFuture<String> result = async.startFailing();
        assertThatThrownBy(() -> result.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("async failure");
        assertThat(container.get(LockManager.class).inspect("async-failing")).isEmpty();
    }

    @Test
    void D4_eventsReportAcquiredAndReleasedWithTheSameToken() {
        container.get(Beans.Templates.class).byName("e");
        Beans.EventLog log = container.get(Beans.EventLog.class);
        LockAcquired acquired = log.of(LockAcquired.class).get(0);
        LockReleased released = log.of(LockReleased.class).get(0);
        assertThat(acquired.resourceId()).isEqualTo("order-e");
        assertThat(acquired.operation()).isEqualTo("Templates#byName");
        assertThat(released.fencingToken()).isEqualTo(acquired.fencingToken());
        assertThat(released.clientId()).isEqualTo(acquired.clientId());
    }

    @Test
    void D2_eachInvocationIsItsOwnClient() {
        Beans.Templates templates = container.get(Beans.Templates.class);
        templates.byName("c");
        templates.byName("c");
        List<LockAcquired> acquired = container.get(Beans.EventLog.class).of(LockAcquired.class);
        assertThat(acquired)
                .extracting(LockAcquired::clientId)
                .doesNotHaveDuplicates()
                .hasSize(2);
    }
}
