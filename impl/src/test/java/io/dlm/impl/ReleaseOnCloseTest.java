package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * C1: the runtime, not each backend, releases on close what it acquired through a remote backend
 * and still holds, each by its own token (K4), and leaves alone what was released or has expired.
 */
class ReleaseOnCloseTest {

    /** A remote-looking backend over memory whose own close releases nothing. */
    private static final class RecordingBackend extends ForwardingLockBackend {
        final MemoryLockBackend memory;
        final List<String> releasesAfterClose = new CopyOnWriteArrayList<>();
        final List<String> heldWhenClosed = new CopyOnWriteArrayList<>();
        volatile boolean closing;

        RecordingBackend() {
            this(new MemoryLockBackend(Ticker.system()));
        }

        private RecordingBackend(MemoryLockBackend memory) {
            super(memory);
            this.memory = memory;
        }

        @Override
        public boolean release(String resourceId, String clientId, long fencingToken) {
            if (closing) {
                releasesAfterClose.add(resourceId + "/" + clientId + "/" + fencingToken);
            }
            return super.release(resourceId, clientId, fencingToken);
        }

        @Override
        public void close() {
            // Releases nothing itself: the runtime must have released before it calls this.
            for (String resource : List.of("locked", "kept", "r")) {
                memory.inspect(resource).ifPresent(info -> heldWhenClosed.add(resource));
            }
            memory.close();
        }
    }

    @Test
    void C1_closeReleasesEachHeldLockByItsTokenAndNothingElse() {
        RecordingBackend backend = new RecordingBackend();
        LockManager manager = DefaultLockManager.open(backend, Map.of(), Ticker.system());
        assertThat(manager.lock("locked", "a", 60_000)).isTrue();
        long lockedToken = backend.inspect("locked").orElseThrow().fencingToken();
        Lease kept = manager.tryAcquire("kept", "b", Duration.ZERO, Duration.ofMinutes(1))
                .orElseThrow()
                .keepAlive();
        assertThat(manager.lock("unlocked", "c", 0)).isTrue();
        assertThat(manager.unlock("unlocked", "c")).isTrue();
        Lease released = manager.tryAcquire("released", "d", Duration.ZERO, Duration.ofMinutes(1))
                .orElseThrow();
        assertThat(released.release()).isTrue();

        backend.closing = true;
        manager.close();

        assertThat(backend.releasesAfterClose)
                .containsExactlyInAnyOrder("locked/a/" + lockedToken, "kept/b/" + kept.fencingToken());
        assertThat(backend.heldWhenClosed)
                .as("locks still held when the backend's close() ran")
                .isEmpty();
    }

    @Test
    void C1_aLockTakenAgainByAnotherClientOfTheManagerIsReleasedOnceUnderItsNewHolder() {
        RecordingBackend backend = new RecordingBackend();
        LockManager manager = DefaultLockManager.open(backend, Map.of("dlm.lease.min", "50ms"), Ticker.system());
        assertThat(manager.lock("r", "first", 0)).isTrue();
        // The first lease (50 ms) expires; a second client of the same manager takes the resource.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!manager.lock("r", "second", 0)) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(manager.heartbeat("r", "second")).isTrue();
        long token = backend.inspect("r").orElseThrow().fencingToken();
        backend.closing = true;
        manager.close();
        // Released while still live (the record follows heartbeats); the first client's record is gone.
        assertThat(backend.releasesAfterClose).containsExactly("r/second/" + token);
        assertThat(backend.heldWhenClosed).isEmpty();
    }
}
