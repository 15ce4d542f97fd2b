package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.tck.fault.FaultProxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * X5 and N3 with a real lost reply: the fault proxy drops every byte from the server to the client,
 * so an acquisition's create reaches the server and is applied, but its reply never comes, and the
 * call fails with {@code INTERNAL_ERROR}; the runtime's undo does not get through either. Curator
 * then gives the session up while the server, which still hears the client's reconnection
 * attempts, keeps it and the acquisition's lock node. That node must not outlive the fault by more
 * than one operation timeout.
 */
class LostReplyUndoTest {

    private static final String BASE = TestZooKeeper.basePath(LostReplyUndoTest.class);
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration SESSION = Duration.ofSeconds(4);
    /** The longest pause the ZooKeeper client takes before it connects again. */
    private static final Duration RECONNECT_BACKOFF = Duration.ofSeconds(1);

    @Test
    void anAcquisitionWhoseReplyWasLostIsUndoneWithinTheOperationTimeoutAfterTheFaultEnds() throws Exception {
        String resource = "lost-reply";
        try (FaultProxy proxy = TestBackends.proxyToSharedServer();
                TestBackends.Opened cut = TestBackends.openThrough(
                        proxy,
                        BASE,
                        "dlm.operation.timeout",
                        OPERATION_TIMEOUT.toMillis() + "ms",
                        ZooKeeperSettings.SESSION_TIMEOUT,
                        SESSION.toMillis() + "ms",
                        ZooKeeperSettings.CONNECTION_TIMEOUT,
                        "1s");
                TestBackends.Opened observer =
                        TestBackends.open(TestZooKeeper.shared().getConnectString(), BASE)) {
            awaitSession(cut.manager());
            awaitSession(observer.manager());
            // A kept-alive lease of the same manager shows when the session is given up (K3).
            Lease probe = cut.manager()
                    .tryAcquire(resource + "-probe", "c", Duration.ZERO, Duration.ofMinutes(2))
                    .orElseThrow()
                    .keepAlive();

            proxy.blackhole(FaultProxy.Direction.TO_CLIENT);
            long start = System.nanoTime();
            CompletableFuture<Throwable> failed = CompletableFuture.supplyAsync(() -> catchThrowable(
                    () -> cut.manager().tryAcquire(resource, "c", Duration.ZERO, Duration.ofMinutes(2))));
            Awaitility.await("the create reaches the server and is applied")
                    .atMost(OPERATION_TIMEOUT)
                    .pollInterval(Duration.ofMillis(5))
                    .until(
                            () -> observer.manager().inspect(resource).map(LockInfo::clientId),
                            held -> held.isPresent());
            // The connection that carried it goes silent both ways: the runtime's undo does not get
            // through. The client's reconnection attempts still reach the server (and keep its
            // session alive there) but hear nothing back.
            proxy.connections().forEach(link -> link.blackhole(FaultProxy.Direction.BOTH));

            Throwable thrown = failed.get(30, TimeUnit.SECONDS);
            Duration failedAfter = Duration.ofNanos(System.nanoTime() - start);
            assertThat(thrown).isInstanceOf(LockException.class);
            assertThat(((LockException) thrown).error()).isEqualTo(LockError.INTERNAL_ERROR);

            // The session is given up (SessionGuard) while the server still keeps it, and with it the
            // acquisition's node.
            probe.lost().toCompletableFuture().get(20, TimeUnit.SECONDS);
            long lostAfter = System.nanoTime() - start;
            assertThat(observer.manager().inspect(resource).map(LockInfo::clientId))
                    .as("the acquisition's node outlived the failed call and the session's loss")
                    .contains("c");
            proxy.heal();
            long healed = System.nanoTime();
            Awaitility.await("the orphaned acquisition undone")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> observer.manager().inspect(resource).isEmpty());
            Duration freedAfter = Duration.ofNanos(System.nanoTime() - healed);
            System.out.printf(
                    "X5: acquisition failed after %d ms, session given up after %d ms; the node was gone %d ms after"
                            + " the heal (operation timeout %s, session %s)%n",
                    failedAfter.toMillis(),
                    Duration.ofNanos(lostAfter).toMillis(),
                    freedAfter.toMillis(),
                    OPERATION_TIMEOUT,
                    SESSION);
            // The ZooKeeper client waits up to a second (at random) before each reconnection; then
            // the session given up is ended, or the ensemble has expired it already.
            assertThat(freedAfter)
                    .as("N3/X5: free within the operation timeout and one reconnection after the fault ended")
                    .isLessThanOrEqualTo(
                            OPERATION_TIMEOUT.plus(RECONNECT_BACKOFF).plusMillis(500));

            Lease again = Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .ignoreException(LockException.class)
                    .until(
                            () -> cut.manager().tryAcquire(resource, "c", Duration.ZERO, Duration.ofSeconds(30)),
                            acquired -> acquired.isPresent())
                    .orElseThrow();
            assertThat(again.release()).isTrue();
        }
    }

    /** Waits for the session, and makes the base path, so that the faulted acquisition is one create. */
    private static void awaitSession(LockManager manager) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .ignoreException(LockException.class)
                .until(() -> manager.lock("warm-up", "warm-up", 0) && manager.unlock("warm-up", "warm-up"));
    }
}
