package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * L4 and L5 as etcd sees them, through the server's own metrics: a waiter holds exactly one watch
 * and sends no requests while it waits (no polling), and a waiter that times out or is interrupted
 * leaves no watcher and no watch stream on the server.
 */
class EtcdWatchTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final String WATCHERS = "etcd_debugging_mvcc_watcher_total";
    private static final String WATCH_STREAMS = "etcd_debugging_mvcc_watch_stream_total";
    private static final String STARTED_CALLS = "grpc_server_started_total";

    private final String namespace = EtcdExtension.freshNamespace("watch");
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private LockManager manager;

    @BeforeEach
    void open() {
        manager = ETCD.open(
                namespace,
                "dlm.lease.min",
                "60s",
                // Only the watch may wake a waiter here: no recheck of the runtime's own (N4).
                "dlm.wait.recheck",
                "1h");
    }

    @AfterEach
    void close() throws InterruptedException {
        manager.close();
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aWaiterWatchesWithoutPollingAndAnInterruptedOneLeavesNoWatchBehind() throws Exception {
        double watchers = metric(WATCHERS);
        double streams = metric(WATCH_STREAMS);
        assertThat(manager.lock("r", "holder", 0)).isTrue();
        CompletableFuture<Thread> waiterThread = new CompletableFuture<>();
        Future<Boolean> waiter = threads.submit(() -> {
            waiterThread.complete(Thread.currentThread());
            return manager.lock("r", "waiter", 60_000);
        });
        await().until(() -> metric(WATCHERS) == watchers + 1);
        assertThat(metric(WATCH_STREAMS)).isEqualTo(streams + 1);

        // L4: while the holder keeps the lock, the waiter sends nothing; only the release wakes it.
        double txns = metric(STARTED_CALLS, "grpc_method=\"Txn\"");
        double reads = metric(STARTED_CALLS, "grpc_method=\"Range\"");
        Thread.sleep(2_000); // the rule is about time passing without requests
        assertThat(metric(STARTED_CALLS, "grpc_method=\"Txn\"")).isEqualTo(txns);
        assertThat(metric(STARTED_CALLS, "grpc_method=\"Range\"")).isEqualTo(reads);
        assertThat(waiter.isDone()).isFalse();

        // L5: an interrupted waiter ends its watch on the server too.
        waiterThread.get(5, TimeUnit.SECONDS).interrupt();
        Throwable failure = catchThrowable(() -> waiter.get(5, TimeUnit.SECONDS));
        assertThat(failure.getCause()).isInstanceOf(LockException.class);
        assertThat(((LockException) failure.getCause()).error()).isEqualTo(LockError.INTERNAL_ERROR);
        await().until(() -> metric(WATCHERS) == watchers && metric(WATCH_STREAMS) == streams);
        assertThat(manager.unlock("r", "holder")).isTrue();
        assertThat(manager.lock("r", "newcomer", 0)).isTrue();
    }

    @Test
    void timedOutWaitersLeaveNoWatchBehind() throws Exception {
        double watchers = metric(WATCHERS);
        double streams = metric(WATCH_STREAMS);
        assertThat(manager.lock("r", "holder", 0)).isTrue();
        List<Future<Boolean>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String client = "gave-up-" + i;
            long timeout = 300 + 100L * i;
            waiters.add(threads.submit(() -> manager.lock("r", client, timeout)));
        }
        for (Future<Boolean> waiter : waiters) {
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isFalse();
        }
        await().until(() -> metric(WATCHERS) == watchers && metric(WATCH_STREAMS) == streams);
        assertThat(manager.unlock("r", "holder")).isTrue();
        assertThat(manager.inspect("r")).isEmpty();
    }

    @Test
    void oneWatchServesEveryWaiterOfAResourceInOneManager() throws Exception {
        double watchers = metric(WATCHERS);
        assertThat(manager.lock("r", "holder", 0)).isTrue();
        List<Future<Boolean>> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String client = "waiter-" + i;
            waiters.add(threads.submit(() -> {
                boolean got = manager.lock("r", client, 30_000);
                if (got) {
                    manager.unlock("r", client);
                }
                return got;
            }));
        }
        await().until(() -> metric(WATCHERS) == watchers + 1);
        assertThat(manager.unlock("r", "holder")).isTrue();
        for (Future<Boolean> waiter : waiters) {
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
        }
        await().until(() -> metric(WATCHERS) == watchers);
    }

    private static double metric(String name) {
        return metric(name, "");
    }

    private static double metric(String name, String labels) {
        return ETCD.metric(ETCD.members().get(0), name, labels);
    }

    private static ConditionFactory await() {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
    }
}
