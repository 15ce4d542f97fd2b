package io.dlm.impl.selftest;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockManager;
import io.dlm.impl.DefaultLockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Acquisition;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import io.dlm.tck.fault.ContendedWorkload;
import io.dlm.tck.fault.Recorder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The failover tests' shared workload judges what it sees: it passes the in-memory backend and
 * fails a backend that grants a held lock (M1).
 */
class ContendedWorkloadSelfTest {

    @Test
    void M1_theCorrectBackendPasses() throws Exception {
        run(new MemoryLockBackend(Ticker.system())).assertSafe();
    }

    @Test
    void M1_aBackendThatGrantsAHeldLockFails() throws Exception {
        ContendedWorkload work = run(new GrantsEverything(new MemoryLockBackend(Ticker.system())));

        assertThatThrownBy(work::assertSafe).isInstanceOf(AssertionError.class);
    }

    private static ContendedWorkload run(LockBackend backend) throws Exception {
        // One manager for every client: an in-process lock space is the manager's own.
        LockManager manager = DefaultLockManager.open(backend, Map.of(), Ticker.system());
        try (ContendedWorkload work = ContendedWorkload.start(
                new Recorder("ContendedWorkloadSelfTest"),
                List.of(manager),
                4,
                "r",
                Duration.ofSeconds(5),
                Duration.ofSeconds(5))) {
            work.awaitSections(200, Duration.ofSeconds(30));
            work.stop();
            return work;
        } finally {
            manager.close();
        }
    }

    /** Memory, except that every acquisition is granted, with a new token, held or not. */
    private static final class GrantsEverything extends ForwardingLockBackend implements InProcessLockBackend {
        private final AtomicLong tokens = new AtomicLong();

        GrantsEverything(LockBackend memory) {
            super(memory);
        }

        @Override
        public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
            return Acquisition.acquired(tokens.incrementAndGet());
        }
    }
}
