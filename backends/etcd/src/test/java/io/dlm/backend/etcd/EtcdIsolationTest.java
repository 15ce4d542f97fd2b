package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.HistoryChecker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SPEC N1 and N4 on a three-member etcd cluster whose peer links go through fault proxies: one
 * member is cut off from the quorum ({@link EtcdExtension#isolate}) while its client port still
 * answers, as a member behind a broken switch would be. Every test records its operations in the
 * fault tier's {@link io.dlm.tck.fault.History}, checked by {@link HistoryChecker}, with its
 * timeline under {@code target/fault-histories/}.
 */
class EtcdIsolationTest {

    @RegisterExtension
    static final EtcdExtension CLUSTER = EtcdExtension.membersWithPeerProxies(3);

    private final String namespace = "/dlm-test/isolation-" + UUID.randomUUID() + "/";
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private Recorder recorder;

    @BeforeEach
    void startHistory(TestInfo test) {
        recorder = new Recorder(getClass().getSimpleName() + "."
                + test.getTestMethod().map(m -> m.getName()).orElse(test.getDisplayName()));
    }

    @AfterEach
    void closeAndKeepTheHistory() {
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                // A manager cut off from its engine may fail to release on close; its leases expire.
            }
        }
        recorder.keepTimeline();
    }

    /**
     * N4: a waiter whose only member is cut off from the quorum while the holder (on another member)
     * releases. The member, without a leader, ends the waiter's watch ("no leader"); the waiter
     * must watch again once the member is back and get the lock within a second of the heal,
     * although its wait is shorter than the holder's lease, so the expiry cannot rescue it.
     */
    @Test
    void N4_waiterOnAnIsolatedMemberGetsTheLockReleasedMeanwhileWithinASecondOfTheHeal() throws Exception {
        EtcdMember holderMember = CLUSTER.leader();
        EtcdMember waiterMember = follower(holderMember);
        LockManager holderSide = open(holderMember, Map.of());
        // Only the watch may wake the waiter: no recheck of the runtime's own.
        LockManager waiterSide = open(waiterMember, Map.of("dlm.wait.recheck", "1h"));
        String resource = resource();
        Duration lease = Duration.ofSeconds(30);
        Lease held = recorder.acquire(holderSide, "holder", resource, Duration.ZERO, lease)
                .orElseThrow();
        Thread[] waiterThread = new Thread[1];
        CompletableFuture<Optional<Lease>> waiter = background("waiter", () -> {
            waiterThread[0] = Thread.currentThread();
            return recorder.acquire(waiterSide, "waiter", resource, TckTimings.scaledMillis(20_000), lease);
        });
        awaitParked(waiterThread);
        double watchers = watchers(waiterMember);

        recorder.note("isolate " + waiterMember.name() + " (the waiter's only member) from the quorum");
        CLUSTER.isolate(waiterMember);
        // Without a leader for three election timeouts, the member cancels the watch streams that
        // require one: the waiter's watch is dead from here on.
        Awaitility.await("the isolated member ends the waiter's watch")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> watchers(waiterMember) < watchers);
        recorder.note("the isolated member has ended the waiter's watch (no leader)");
        recorder.release("holder", held);
        Thread.sleep(1_000); // the isolation lasts on after the release, as a step of the scenario

        long healed = System.nanoTime();
        recorder.note("heal: " + waiterMember.name() + " rejoins");
        CLUSTER.heal(waiterMember);
        assertGetsTheLockWithin(waiter, resource, healed, notificationBound(), "the heal");
        HistoryChecker.assertSafe(recorder.history);
    }

    // ---------------------------------------------------------------------------------------------

    private void assertGetsTheLockWithin(
            CompletableFuture<Optional<Lease>> waiter, String resource, long since, Duration bound, String event)
            throws Exception {
        Optional<Lease> won;
        try {
            won = waiter.get(bound.plus(slack()).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("N4: the waiter failed instead of getting the free lock", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(
                    "N4: the waiter did not get the free lock within " + bound.plus(slack()) + " of " + event, e);
        }
        assertThat(won)
                .as("N4: the waiter gets the free lock (its wait ran out instead)")
                .isPresent();
        Duration took = Duration.ofNanos(recorder.acquiredAt(resource, "waiter") - since);
        recorder.note("the waiter got the lock " + took.toMillis() + " ms after " + event);
        assertThat(took)
                .as("N4: the waiter gets the lock within 1 s of %s", event)
                .isLessThanOrEqualTo(bound);
        recorder.release("waiter", won.get());
    }

    private LockManager open(EtcdMember member, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "dlm.etcd.endpoints",
                member.clientUrl(),
                "dlm.etcd.namespace",
                namespace,
                "dlm.operation.timeout",
                operationTimeout().toMillis() + "ms"));
        settings.putAll(extra);
        LockManager manager = LockManagers.open("etcd", settings);
        toClose.push(manager);
        warmUp(manager);
        return manager;
    }

    /**
     * A first call, so that the manager's connection is up before a fault starts: a new client's
     * first call may outlast the short operation timeout (X1) and is then tried again.
     */
    private static void warmUp(LockManager manager) {
        Awaitility.await("a first call on a new manager")
                .atMost(slack().multipliedBy(5))
                .pollInterval(Duration.ofMillis(50))
                .ignoreException(LockException.class)
                .until(() -> manager.inspect(resource()).isEmpty());
    }

    private static EtcdMember follower(EtcdMember leader) {
        return CLUSTER.members().stream()
                .filter(member -> member != leader)
                .findFirst()
                .orElseThrow();
    }

    private static double watchers(EtcdMember member) {
        return CLUSTER.metric(member, "etcd_debugging_mvcc_watcher_total", "");
    }

    private static String resource() {
        return "fault-" + UUID.randomUUID();
    }

    private static Duration operationTimeout() {
        return TckTimings.scaledMillis(1_000);
    }

    /** Room for scheduling on a loaded machine. */
    private static Duration slack() {
        return TckTimings.scaledMillis(2_000);
    }

    /** N4's one second, plus a round trip's worth of noise (as the tier). */
    private static Duration notificationBound() {
        return TckTimings.scaledMillis(1_250);
    }

    private static void awaitParked(Thread[] thread) {
        Awaitility.await("the waiter parks")
                .atMost(TckTimings.scaledMillis(10_000))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> isParked(thread[0]) && pausedThen(() -> isParked(thread[0])));
    }

    private static boolean pausedThen(Callable<Boolean> check) throws Exception {
        Thread.sleep(100);
        return check.call();
    }

    private static boolean isParked(Thread thread) {
        if (thread == null) {
            return false;
        }
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    private static <T> CompletableFuture<T> background(String name, Callable<T> call) {
        CompletableFuture<T> outcome = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        outcome.complete(call.call());
                    } catch (Throwable e) {
                        outcome.completeExceptionally(e);
                    }
                },
                "dlm-etcd-isolation-" + name);
        thread.setDaemon(true);
        thread.start();
        return outcome;
    }
}
