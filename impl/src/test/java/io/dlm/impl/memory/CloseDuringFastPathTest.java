package io.dlm.impl.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockException;
import io.dlm.LockManager;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * C1: a lock() that passed ensureOpen and is in its first (fast-path) backend attempt when close()
 * runs acquires after close() has returned and reports true; the lock is then held through a
 * closed manager and never released (remote engines: until its lease runs out). The queued path
 * handles this with keepUnlessClosed; the fast path does not.
 */
class CloseDuringFastPathTest {

    @Test
    void C1_anAcquisitionRacingCloseIsNotReportedAsHeld() throws Exception {
        GateTicker ticker = new GateTicker();
        LockManager manager = ticker.openManager();
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                outcome.set(manager.lock("r", "a", 1_000));
            } catch (RuntimeException e) {
                outcome.set(e);
            }
        });
        ticker.arm(t);
        t.start();
        assertThat(ticker.read.await(10, TimeUnit.SECONDS)).isTrue(); // inside backend.acquire
        manager.close();
        ticker.proceed.countDown();
        t.join(10_000);
        assertThat(outcome.get())
                .as("lock() finishing after close() returned")
                .isInstanceOfAny(LockException.class, IllegalStateException.class);
    }
}
