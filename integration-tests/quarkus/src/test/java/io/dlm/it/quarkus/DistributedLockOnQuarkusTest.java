package io.dlm.it.quarkus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockSkipped;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * D7: on Quarkus (ArC, CDI Lite, no portable extensions) the build compatible extension gives the
 * application what the portable one gives it on Weld: an injected manager, locked methods with
 * templates and configuration overrides, and lock events.
 */
@QuarkusTest
class DistributedLockOnQuarkusTest {

    @Inject
    LockManager manager;

    @Inject
    Ledger ledger;

    @Inject
    LockEventLog events;

    /** D1: the manager is there without a line of application code, on the configured backend. */
    @Test
    void D1_aLockManagerIsInjected() {
        String resource = "d1-" + UUID.randomUUID();
        assertThat(manager.lock(resource, "client", 0)).isTrue();
        assertThat(manager.inspect(resource)).isPresent();
        assertThat(manager.unlock(resource, "client")).isTrue();
    }

    /** D2: concurrent callers of a locked method run one at a time. */
    @Test
    void D2_concurrentCallersAreSerialised() throws Exception {
        String account = UUID.randomUUID().toString();
        long before = ledger.balance();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(pool.submit(() -> ledger.credit(account, 1)));
            }
            for (Future<?> call : calls) {
                call.get(1, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(ledger.balance() - before).isEqualTo(200);
    }

    /** D2: the resource comes from the template and the call's argument; the lock is released after. */
    @Test
    void D2_theResourceIsRenderedFromTheParameter() {
        String account = UUID.randomUUID().toString();
        HeldLock held = ledger.statement(account);
        assertThat(held.resourceId()).isEqualTo("statement-" + account);
        assertThat(manager.inspect(held.resourceId())).as("released after the call").isEmpty();
        assertThat(events.of(held.resourceId()))
                .hasExactlyElementsOfTypes(LockAcquired.class, LockReleased.class);
    }

    /** D6: a member set in application.properties wins over the annotation's. */
    @Test
    void D6_applicationPropertiesOverrideTheAnnotation() {
        String account = UUID.randomUUID().toString();
        assertThat(ledger.configured(account).resourceId()).isEqualTo("from-config-" + account);
    }

    /**
     * S1, S2, D6: overridden in application.properties, a job holds its lock past its run and a
     * second run within the hold is skipped with an empty value and a LockSkipped event.
     */
    @Test
    void S1_S2_skipAndHoldAtLeastWorkOnQuarkus() {
        String account = UUID.randomUUID().toString();
        assertThat(ledger.close(account)).contains("closed");
        assertThat(manager.inspect("close-" + account)).as("held on after the call").isPresent();
        assertThat(ledger.close(account)).isEmpty();
        assertThat(events.of("close-" + account)).hasExactlyElementsOfTypes(LockAcquired.class, LockSkipped.class);
    }

    /** D4: a lease lost during the call fails it with LOCK_NOT_HELD and fires LeaseLost. */
    @Test
    void D4_aLostLeaseFailsTheCallAndFiresTheEvent() {
        String account = UUID.randomUUID().toString();
        assertThatThrownBy(() -> ledger.loseLease(account))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.LOCK_NOT_HELD));
        assertThat(events.of("lost-" + account)).hasAtLeastOneElementOfType(LeaseLost.class);
    }
}
