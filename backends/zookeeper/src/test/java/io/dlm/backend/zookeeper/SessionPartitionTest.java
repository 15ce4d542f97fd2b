package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.tck.fault.FaultProxy;
import io.dlm.tck.fault.FaultRecording;
import io.dlm.tck.fault.HistoryChecker;
import io.dlm.tck.fault.Recorder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * N1 and K3 for ZooKeeper: a holder whose connection is cut off (every byte dropped, no reset) by
 * the tier's {@link FaultProxy} holds a lease of two minutes on a session of five seconds. The
 * ensemble ends the session, and so the lock, about five seconds after it last heard from the
 * holder, so the holder must be told of the loss within about the session timeout, not after its
 * lease, and before anybody else acquires. The history of both clients is judged by the tier's
 * {@link HistoryChecker}.
 */
class SessionPartitionTest {

    private static final String BASE = TestZooKeeper.basePath(SessionPartitionTest.class);
    private static final Duration SESSION = Duration.ofSeconds(5);
    private static final Duration LEASE = Duration.ofMinutes(2);

    @RegisterExtension
    final FaultRecording recording = new FaultRecording();

    private Recorder recorder() {
        return recording.recorder();
    }

    @Test
    void aCutOffHolderIsToldOfItsLossWithinTheSessionTimeoutAndBeforeAnybodyElseAcquires() throws Exception {
        String resource = "n1-session";
        try (FaultProxy proxy = TestBackends.proxyToSharedServer();
                TestBackends.Opened holder = TestBackends.openThrough(
                        proxy,
                        BASE,
                        ZooKeeperSettings.SESSION_TIMEOUT,
                        SESSION.toMillis() + "ms",
                        "dlm.operation.timeout",
                        "1s");
                TestBackends.Opened contender =
                        TestBackends.open(TestZooKeeper.shared().getConnectString(), BASE)) {
            holder.awaitSession();
            contender.awaitSession();

            Lease held = acquire(holder.manager(), "holder", resource, Duration.ZERO)
                    .orElseThrow()
                    .keepAlive();
            AtomicLong lostAt = new AtomicLong();
            held.lost().thenRun(() -> lostAt.compareAndSet(0, System.nanoTime()));
            CompletableFuture<Void> work = CompletableFuture.runAsync(() -> {
                while (section("holder", held)) {
                    pause(20);
                }
            });

            long cut = System.nanoTime();
            recorder().note("partition: every byte between the holder and the server is dropped, no reset");
            proxy.blackhole(FaultProxy.Direction.BOTH);
            CompletableFuture<Optional<Lease>> contending = CompletableFuture.supplyAsync(() -> {
                Optional<Lease> won = acquire(contender.manager(), "contender", resource, Duration.ofSeconds(40));
                won.ifPresent(mine -> {
                    long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                    while (System.nanoTime() - until < 0 && section("contender", mine)) {
                        pause(20);
                    }
                });
                return won;
            });

            Awaitility.await("the holder's loss (K3)")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> lostAt.get() != 0);
            Duration toldAfter = Duration.ofNanos(lostAt.get() - cut);
            recorder().note("holder told of its loss " + toldAfter.toMillis() + " ms after the cut");
            System.out.printf(
                    "N1/K3: holder told of its loss %d ms after the cut (session %s)%n", toldAfter.toMillis(), SESSION);
            work.get(10, TimeUnit.SECONDS);

            Lease taken = contending
                    .get(60, TimeUnit.SECONDS)
                    .orElseThrow(() -> new AssertionError("the contender never got the cut-off holder's lock"));
            long acquiredAt = recorder().acquiredAt(resource, "contender");
            recorder()
                    .note("contender acquired "
                            + Duration.ofNanos(acquiredAt - cut).toMillis() + " ms after the cut");
            System.out.printf(
                    "N1: contender acquired %d ms after the cut%n",
                    Duration.ofNanos(acquiredAt - cut).toMillis());

            HistoryChecker.assertSafe(recorder().history());
            assertThat(toldAfter)
                    .as("K3: told within about the session timeout of the cut, not after its %s lease", LEASE)
                    .isLessThanOrEqualTo(SESSION.plusSeconds(1));
            assertThat(lostAt.get())
                    .as("N1: the holder is told before another client acquires")
                    .isLessThan(acquiredAt);
            taken.release();
        }
    }

    /**
     * K3 after a give-up: the connection comes back to the session SessionGuard gave up, so the
     * guard ends that session. A lock taken once the manager works again must be kept: not taken
     * on the doomed session (its node would vanish unannounced), and not reported lost by the
     * ending of the old one. The session (10 s) outlives the outage (about 3 s), so the
     * reconnection does find the old session.
     */
    @Test
    void aLockTakenAfterAGivenUpSessionCameBackIsKept() throws Exception {
        try (FaultProxy proxy = TestBackends.proxyToSharedServer();
                TestBackends.Opened holder = TestBackends.openThrough(
                        proxy, BASE, ZooKeeperSettings.SESSION_TIMEOUT, "10s", "dlm.operation.timeout", "1s")) {
            LockManager manager = holder.manager();
            holder.awaitSession();
            Lease before = acquire(manager, "holder", "given-up-before", Duration.ZERO)
                    .orElseThrow()
                    .keepAlive();

            recorder().note("every connection reset and new ones dead: the client is disconnected at once");
            proxy.blackhole(FaultProxy.Direction.BOTH);
            proxy.resetAll();
            Awaitility.await("the session given up (K3)")
                    .atMost(Duration.ofSeconds(8))
                    .until(() -> before.lost().toCompletableFuture().isDone());
            recorder().note("heal, and the dead connection attempt reset: the client comes back to its old session");
            proxy.heal();
            proxy.resetAll();

            // Tried without pause, as a busy application would, so that an attempt lands in
            // whatever window the session's ending leaves open.
            Lease after = Awaitility.await("a lock taken once the manager works again")
                    .atMost(Duration.ofSeconds(15))
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(2))
                    .ignoreException(LockException.class)
                    .until(() -> acquire(manager, "holder", "given-up-after", Duration.ZERO), Optional::isPresent)
                    .orElseThrow()
                    .keepAlive();
            Awaitility.await("the lock taken before the outage freed with its session")
                    .atMost(Duration.ofSeconds(10))
                    .ignoreException(LockException.class)
                    .until(() -> manager.inspect("given-up-before").isEmpty());
            Awaitility.await("the lock taken afterwards stays held")
                    .during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !after.lost().toCompletableFuture().isDone() && after.isValid());
            assertThat(manager.inspect("given-up-after"))
                    .as("its node is still there, with its token")
                    .hasValueSatisfying(info -> assertThat(info.fencingToken()).isEqualTo(after.fencingToken()));
            assertThat(after.release()).isTrue();
        }
    }

    private Optional<Lease> acquire(LockManager manager, String process, String resource, Duration wait) {
        return recorder().acquire(manager, process, resource, wait, LEASE);
    }

    private boolean section(String process, Lease lease) {
        return recorder().section(process, lease);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
