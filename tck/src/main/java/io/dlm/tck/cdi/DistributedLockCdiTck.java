package io.dlm.tck.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockSkipped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.EmptyAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CDI part of the TCK (D1-D4, S1, S2), run with Arquillian in any CDI Full container on the backend
 * that {@code dlm.backend} names (default {@code memory}). A backend runs it with an empty
 * subclass named {@code *Test}, with {@code dlm-cdi}, its own artifact and an Arquillian container
 * adapter on the test class path, and its {@code dlm.*} settings as system properties or in {@code
 * META-INF/microprofile-config.properties}:
 *
 * <pre>{@code
 * class EtcdCdiTckTest extends DistributedLockCdiTck {}
 * }</pre>
 *
 * <p>Waits scale with the system property {@code dlm.tck.timeoutMultiplier}.
 */
@ExtendWith(ArquillianExtension.class)
public abstract class DistributedLockCdiTck {

    @Inject
    TckLockedBeans beans;

    @Inject
    TckEventLog events;

    @Inject
    TckSkipAndHoldBeans jobs;

    @Inject
    LockManager manager;

    /** For subclasses. */
    protected DistributedLockCdiTck() {}

    /**
     * The application the TCK deploys: its beans and an empty {@code beans.xml} in a web archive,
     * the form a server runs. The DLM extension comes from {@code dlm-cdi}: on the test class path
     * of an embedded container, or added to {@code WEB-INF/lib} by the subclass's Arquillian setup
     * for a server (an {@code ApplicationArchiveProcessor}, as {@code dlm-it-wildfly} does).
     *
     * @return the deployment
     */
    @Deployment
    public static WebArchive deployment() {
        return ShrinkWrap.create(WebArchive.class, "dlm-cdi-tck.war")
                .addClasses(TckLockedBeans.class, TckNestedBean.class, TckEventLog.class, TckSkipAndHoldBeans.class)
                .addAsWebInfResource(EmptyAsset.INSTANCE, "beans.xml");
    }

    /** D1: the application injects a working LockManager without writing any code. */
    @Test
    void D1_lockManagerIsInjected() {
        String resource = "tck-d1-" + UUID.randomUUID();
        assertThat(manager.lock(resource, "tck-client", 0)).isTrue();
        assertThat(manager.inspect(resource)).isPresent();
        assertThat(manager.unlock(resource, "tck-client")).isTrue();
    }

    /** D2: concurrent invocations exclude each other; a non-atomic counter ends exact. */
    @Test
    void D2_concurrentInvocationsExcludeEachOther() throws Exception {
        String id = UUID.randomUUID().toString();
        int before = beans.counter();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                workers.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 25; i++) {
                        beans.increment(id);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> worker : workers) {
                worker.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(beans.counter() - before).isEqualTo(100);
    }

    /** D2: the method sees a fencing token that grows with each acquisition, and the lock is released. */
    @Test
    void D2_fencingTokenGrowsAndLockIsReleased() {
        String id = UUID.randomUUID().toString();
        long first = beans.once(id);
        long second = beans.once(id);
        assertThat(second).isGreaterThan(first);
        assertThat(manager.inspect("tck-once-" + id)).isEmpty();
    }

    /** D3: a lock not acquired in time fails with RESOURCE_LOCKED and the method is not called. */
    @Test
    void D3_lockNotAcquiredThrowsResourceLocked() {
        String id = UUID.randomUUID().toString();
        assertThat(manager.lock("tck-once-" + id, "tck-other", 0)).isTrue();
        int before = beans.calls();
        assertThatThrownBy(() -> beans.once(id))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.RESOURCE_LOCKED));
        assertThat(beans.calls()).isEqualTo(before);
        assertThat(manager.unlock("tck-once-" + id, "tck-other")).isTrue();
    }

    /** D3: a nested call for a resource the caller holds fails fast instead of waiting for itself. */
    @Test
    void D3_nestedCallFailsFast() throws Exception {
        String id = UUID.randomUUID().toString();
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> beans.nested(id));
        assertThatThrownBy(() -> call.get(patience().toMillis(), TimeUnit.MILLISECONDS))
                .cause()
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.RESOURCE_LOCKED));
        assertThat(manager.inspect("tck-nested-" + id)).isEmpty();
    }

    /** D4: a lease lost during the call fires LeaseLost and fails the call with LOCK_NOT_HELD. */
    @Test
    void D4_lostLeaseIsNeverSilent() {
        String id = UUID.randomUUID().toString();
        assertThatThrownBy(() -> beans.loseLease(id))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD));
        assertThat(events.of("tck-lost-" + id)).hasAtLeastOneElementOfType(LeaseLost.class);
    }

    /** D2, D4: acquisition and release are observable as CDI events with the same token. */
    @Test
    void D4_acquiredAndReleasedEventsAreFired() {
        String id = UUID.randomUUID().toString();
        long token = beans.once(id);
        assertThat(events.of("tck-once-" + id))
                .satisfiesExactly(
                        acquired -> assertThat(acquired)
                                .isInstanceOfSatisfying(
                                        LockAcquired.class,
                                        a -> assertThat(a.fencingToken()).isEqualTo(token)),
                        released -> assertThat(released)
                                .isInstanceOfSatisfying(
                                        LockReleased.class,
                                        r -> assertThat(r.fencingToken()).isEqualTo(token)));
    }

    /** D2: a method returning a CompletionStage keeps the lock until the stage completes. */
    @Test
    void D2_completionStageKeepsTheLock() throws Exception {
        String id = UUID.randomUUID().toString();
        CompletableFuture<String> pending = new CompletableFuture<>();
        CompletableFuture<String> result = beans.async(id, pending).toCompletableFuture();
        assertThat(manager.inspect("tck-async-" + id)).isPresent();
        pending.complete("done");
        assertThat(result.get(patience().toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("done");
        assertThat(manager.inspect("tck-async-" + id)).isEmpty();
    }

    /**
     * S1: with {@code whenLocked = SKIP}, a lock held elsewhere skips the call: the method is not
     * called, the call returns its empty value at once, and {@link LockSkipped} is fired.
     */
    @Test
    void S1_skipReturnsEmptyValuesAndFiresLockSkipped() throws Exception {
        String id = UUID.randomUUID().toString();
        String resource = "tck-skip-" + id;
        Lease blocker = manager.tryAcquire(resource, "tck-other", Duration.ZERO, Duration.ofMinutes(10))
                .orElseThrow();
        int before = jobs.calls();
        assertThat(jobs.text(id)).isNull();
        assertThat(jobs.optional(id)).isEqualTo(Optional.empty());
        assertThat(jobs.number(id)).isZero();
        assertThat(jobs.flag(id)).isFalse();
        assertThat(jobs.stage(id).toCompletableFuture()).isCompletedWithValue(null);
        assertThat(jobs.calls()).isEqualTo(before);
        assertThat(events.of(resource))
                .hasSize(5)
                .allSatisfy(event -> assertThat(event).isInstanceOf(LockSkipped.class));

        assertThat(blocker.release()).isTrue();
        assertThat(jobs.text(id)).isEqualTo("ran");
        assertThat(jobs.calls()).isEqualTo(before + 1);
    }

    /**
     * S2: {@code holdAtLeast} keeps the lock after a short call, without holding up the caller:
     * another client gets it only once it was held that long since its acquisition.
     */
    @Test
    void S2_holdAtLeastKeepsTheLockAfterTheCallReturns() {
        String id = UUID.randomUUID().toString();
        String resource = "tck-held-" + id;
        Duration hold = Duration.ofMillis(TckSkipAndHoldBeans.HOLD_MILLIS);
        assertThat(manager.inspect(resource)).isEmpty();

        long before = System.nanoTime();
        long token = jobs.held(id);
        // Acquired after `before`: a call that waited out the hold would return only after this.
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(hold);
        assertThat(manager.inspect(resource))
                .hasValueSatisfying(info -> assertThat(info.fencingToken()).isEqualTo(token));

        long[] freeAt = new long[1];
        await().pollInterval(Duration.ofMillis(20)).atMost(patience()).until(() -> {
            if (manager.lock(resource, "tck-next", 0)) {
                freeAt[0] = System.nanoTime();
                return true;
            }
            return false;
        });
        assertThat(Duration.ofNanos(freeAt[0] - before)).isGreaterThanOrEqualTo(hold);
        assertThat(manager.unlock(resource, "tck-next")).isTrue();
        await().atMost(patience())
                .untilAsserted(() -> assertThat(events.of(resource)).hasAtLeastOneElementOfType(LockReleased.class));
    }

    /**
     * How long a step may take before the test fails: 30 s times {@code dlm.tck.timeoutMultiplier}.
     *
     * @return the patience
     */
    protected static Duration patience() {
        double multiplier = Double.parseDouble(System.getProperty("dlm.tck.timeoutMultiplier", "1"));
        return Duration.ofMillis((long) (30_000 * Math.max(1, multiplier)));
    }
}
