package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.ForwardingLockBackend;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The attempt id stored with each lease and the token-bound release and renewal, on the real
 * databases: an acquisition whose reply is lost after it committed is undone, and only it (X5);
 * a release or renewal by an old token leaves the client's newer acquisition alone (K4).
 */
class AttemptsAndTokensTest {

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private String table(TestDatabase database) {
        database.assumeAvailable();
        String table = database.createTable("attempts");
        cleanup.add(() -> database.dropTable(table));
        return table;
    }

    /** A manager, and the real backend under it wrapped so that its acquisitions can lose their reply. */
    private record Losing(LockManager manager, LosingReplies backend) {

        /**
         * Asserts that client "c"'s acquisition of "r" for 5 minutes, whose reply the backend loses,
         * fails with INTERNAL_ERROR; the replies after it arrive again.
         */
        void assertAcquisitionFails() {
            backend.lose = true;
            try {
                assertThatThrownBy(() -> manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofMinutes(5)))
                        .isInstanceOf(LockException.class)
                        .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR));
            } finally {
                backend.lose = false;
            }
        }
    }

    private Losing openLosingReplies(TestDatabase database, String table) {
        AtomicReference<LosingReplies> decorated = new AtomicReference<>();
        LockManager manager = LockManagers.open(
                TckBackends.decorated(new JdbcLockBackendProvider(), real -> {
                    decorated.set(new LosingReplies(real));
                    return decorated.get();
                }),
                database.settings(table));
        cleanup.add(manager);
        return new Losing(manager, decorated.get());
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void X5_anAcquisitionWhoseReplyWasLostIsUndoneBeforeTheErrorIsThrown(TestDatabase database) {
        String table = table(database);
        Losing losing = openLosingReplies(database, table);
        losing.assertAcquisitionFails();
        assertThat(losing.backend().committed)
                .as("the lost acquisition had taken the lock")
                .isTrue();
        assertThat(losing.manager().inspect("r"))
                .as("undone: free at once, not in 5 minutes")
                .isEmpty();
        LockManager other = LockManagers.open("jdbc", database.settings(table));
        cleanup.add(other);
        assertThat(other.lock("r", "d", 0)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void X5_anAmbiguousAcquisitionOfAHolderLeavesItsEarlierLeaseAlone(TestDatabase database) {
        Losing losing = openLosingReplies(database, table(database));
        LockManager manager = losing.manager();
        Lease earlier = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofMinutes(5))
                .orElseThrow();
        losing.assertAcquisitionFails();
        assertThat(manager.inspect("r"))
                .as("the undo of the second attempt did not release the first")
                .map(LockInfo::fencingToken)
                .contains(earlier.fencingToken());
        assertThat(earlier.renew()).isTrue();
        assertThat(earlier.release()).isTrue();
        assertThat(manager.inspect("r")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void K4_anOldTokenNeitherReleasesNorRenewsTheClientsNewerAcquisition(TestDatabase database) {
        String table = table(database);
        LockBackend backend = new JdbcLockBackendProvider().open(BackendContext.of(database.settings(table)));
        cleanup.add(backend);
        Acquisition old = backend.acquire("r", "c", Duration.ofMillis(300).toNanos(), 1);
        assertThat(old.isAcquired()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.inspect("r").isEmpty());
        Acquisition current = backend.acquire("r", "c", Duration.ofMinutes(5).toNanos(), 2);
        assertThat(current.isAcquired()).isTrue();
        assertThat(current.fencingToken()).isGreaterThan(old.fencingToken());

        assertThat(backend.release("r", "c", old.fencingToken())).isFalse();
        assertThat(backend.renew("r", "c", old.fencingToken())).isFalse();
        assertThat(holder(backend)).contains(current.fencingToken());
        backend.undo("r", "c", 1);
        assertThat(holder(backend)).as("the old attempt's undo").contains(current.fencingToken());

        assertThat(backend.renew("r", "c", current.fencingToken())).isTrue();
        assertThat(backend.renew("r", "c", LockBackend.ANY_ACQUISITION)).isTrue();
        assertThat(backend.release("r", "c", current.fencingToken())).isTrue();
        assertThat(backend.inspect("r")).isEmpty();

        Acquisition third = backend.acquire("r", "c", Duration.ofMinutes(5).toNanos(), 3);
        backend.undo("r", "other client", 3);
        assertThat(holder(backend)).as("another client's undo").contains(third.fencingToken());
        backend.undo("r", "c", 3);
        assertThat(backend.inspect("r")).as("undone by its own attempt").isEmpty();
        assertThat(backend.release("r", "c", LockBackend.ANY_ACQUISITION)).isFalse();
    }

    private static Optional<Long> holder(LockBackend backend) {
        return backend.inspect("r").map(LockInfo::fencingToken);
    }

    /** The real backend, except that, while {@link #lose} is set, an acquisition runs and then fails. */
    private static final class LosingReplies extends ForwardingLockBackend {
        volatile boolean lose;
        volatile boolean committed;

        LosingReplies(LockBackend real) {
            super(real);
        }

        @Override
        public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
            Acquisition acquisition = super.acquire(resourceId, clientId, leaseNanos, attempt);
            if (lose) {
                committed = acquisition.isAcquired();
                throw new LockException(LockError.INTERNAL_ERROR, "injected: the reply to the acquisition was lost");
            }
            return acquisition;
        }
    }
}
