package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * C1 (8ffe480): LossNotifier.close (LossNotifier.java:84-99) calls dispatcher.join() before
 * pool.shutdown()/overflow.shutdown(), inside one try. On a thread with its interrupt flag set
 * (a worker stopped by shutdownNow() that closes its resources in a finally block) join() throws
 * at once, and the catch skips both shutdowns: the two prestarted "dlm-lease-events" core threads
 * (no core time-out) wait for work forever. Before 8ffe480 the pools were shut down first.
 */
class CloseOnInterruptedThreadTest {

    private static Set<Thread> keeperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("dlm-keepalive")
                        || t.getName().startsWith("dlm-lease-events")
                        || t.getName().startsWith("dlm-renewal"))
                .collect(Collectors.toSet());
    }

    @Test
    void C1_closeOnAnInterruptedThreadLeavesNoThreadBehind() throws Exception {
        Set<Thread> before = keeperThreads();
        LockManager manager = LockManagers.inMemory();
        manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1))
                .orElseThrow()
                .keepAlive();
        Thread.sleep(50); // the scheduler and the loss notifier are running
        Thread.currentThread().interrupt();
        try {
            manager.close();
        } finally {
            Thread.interrupted();
        }
        List<String> alive;
        long end = System.nanoTime() + 2_000_000_000L;
        do {
            Thread.sleep(50);
            alive = keeperThreads().stream()
                    .filter(t -> !before.contains(t) && t.isAlive())
                    .map(Thread::getName)
                    .sorted()
                    .toList();
        } while (!alive.isEmpty() && System.nanoTime() - end < 0);
        assertThat(alive)
                .as("threads of the closed manager still alive 2 s after close()")
                .isEmpty();
    }
}
