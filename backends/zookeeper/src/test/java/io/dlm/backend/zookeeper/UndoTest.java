package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.support.LosingReplies;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * X5 on a real server: an acquisition whose call failed after the engine applied it is undone by
 * its attempt id before the error reaches the caller, and only that acquisition: never a lock the
 * client held before.
 */
class UndoTest {

    private static final String BASE = TestZooKeeper.basePath(UndoTest.class);
    private static final long LEASE_NANOS = Duration.ofSeconds(30).toNanos();

    @Test
    void anAcquisitionWhoseCallThrewAfterTheEngineAppliedItIsUndoneBeforeTheErrorIsThrown() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        try (TestBackends.Opened zk = openLosingReplies(failing)) {
            failing.set(true);

            Throwable thrown =
                    catchThrowable(() -> zk.manager().tryAcquire("x5", "c", Duration.ZERO, Duration.ofSeconds(30)));

            assertThat(thrown).isInstanceOf(LockException.class);
            assertThat(((LockException) thrown).error()).isEqualTo(LockError.INTERNAL_ERROR);
            // Right after the error, not after a wait: the undo came before it.
            assertThat(zk.manager().inspect("x5")).isEmpty();
            assertThat(nodesOf(zk, "x5")).isEmpty();
            assertThat(zk.backend().pendingUndos()).isZero();

            failing.set(false);
            Lease again = zk.manager()
                    .tryAcquire("x5", "c", Duration.ZERO, Duration.ofSeconds(30))
                    .orElseThrow();
            assertThat(again.release()).isTrue();
        }
    }

    @Test
    void aLockTheClientHeldBeforeTheFailedAttemptIsLeftAlone() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        try (TestBackends.Opened zk = openLosingReplies(failing)) {
            Lease held = zk.manager()
                    .tryAcquire("x5-held", "c", Duration.ZERO, Duration.ofSeconds(30))
                    .orElseThrow();
            List<String> nodes = nodesOf(zk, "x5-held");
            failing.set(true);

            Throwable thrown = catchThrowable(
                    () -> zk.manager().tryAcquire("x5-held", "c", Duration.ZERO, Duration.ofSeconds(30)));

            assertThat(thrown).isInstanceOf(LockException.class);
            assertThat(((LockException) thrown).error()).isEqualTo(LockError.INTERNAL_ERROR);
            assertThat(zk.manager().inspect("x5-held").map(LockInfo::fencingToken))
                    .contains(held.fencingToken());
            assertThat(nodesOf(zk, "x5-held")).isEqualTo(nodes);
            failing.set(false);
            assertThat(held.renew()).isTrue();
            assertThat(held.release()).isTrue();
        }
    }

    @Test
    void undoDeletesOnlyTheAcquisitionOfItsAttemptAndNeverThrows() throws Exception {
        BackendContext context = BackendContext.of(
                TestBackends.settings(TestZooKeeper.shared().getConnectString(), BASE, "dlm.operation.timeout", "10s"));
        LockBackend backend = new ZooKeeperLockBackendProvider().open(context);
        try {
            Acquisition first = backend.acquire("spi-undo", "c", LEASE_NANOS, 42);
            assertThat(first.isAcquired()).isTrue();

            backend.undo("spi-undo", "c", 43); // another attempt of the same client
            backend.undo("spi-undo", "c", -7); // an attempt that never reached the engine
            assertThat(backend.inspect("spi-undo").map(LockInfo::fencingToken)).contains(first.fencingToken());
            assertThat(backend.renew("spi-undo", "c", first.fencingToken())).isTrue();

            backend.undo("spi-undo", "c", 42);
            assertThat(backend.inspect("spi-undo")).isEmpty();
            // Nothing left in the cache either: a renewal and a release find nothing.
            assertThat(backend.renew("spi-undo", "c", first.fencingToken())).isFalse();
            assertThat(backend.release("spi-undo", "c", LockBackend.ANY_ACQUISITION))
                    .isFalse();
            assertThat(backend.acquire("spi-undo", "c", LEASE_NANOS, 44).isAcquired())
                    .isTrue();
        } finally {
            backend.close();
        }
        backend.undo("spi-undo", "c", 44); // after close: nothing to do, and no exception
    }

    /** A manager whose acquisitions' replies are lost while {@code failing} is set, its session up. */
    private static TestBackends.Opened openLosingReplies(AtomicBoolean failing) {
        return TestBackends.open(
                        real -> new LosingReplies(real, failing, IllegalStateException::new),
                        TestZooKeeper.shared().getConnectString(),
                        BASE)
                .awaitSession();
    }

    private static List<String> nodesOf(TestBackends.Opened zk, String resourceId) throws Exception {
        return LockNodes.of(zk.backend().curator(), BASE, resourceId);
    }
}
