package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.tck.fault.HistoryChecker;
import io.dlm.tck.fault.Recorder;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What losing a member does to a holder and a waiter, measured on a real three-member ensemble
 * (the numbers go to docs/backends/zookeeper.md, "Faults"): the leader killed under a holder and a
 * waiter that know every member, and the one member a holder knows restarted. Both histories are
 * judged by the fault tier's {@link HistoryChecker}; the holder never loses a lease the ensemble
 * kept without being told, and the waiter gets the lock once it is released.
 */
class EnsembleMemberLossTest {

    private static final String BASE = TestZooKeeper.basePath(EnsembleMemberLossTest.class);
    /** The longest session the test servers grant (20 ticks of 500 ms). */
    private static final Duration SESSION = Duration.ofSeconds(10);

    private static final Duration LEASE = Duration.ofSeconds(30);

    private TestingCluster cluster;
    private Recorder recorder;

    @BeforeEach
    void start() throws Exception {
        cluster = TestEnsembles.start();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
        if (recorder != null) {
            recorder.keepTimeline();
        }
    }

    @Test
    void theLeaderKilledUnderAHolderAndAWaiter() throws Exception {
        recorder = new Recorder("EnsembleMemberLossTest.leaderKilled");
        InstanceSpec leader = TestEnsembles.leader(cluster);
        Measured measured = holderAndWaiterThrough(
                cluster.getConnectString(),
                "leader-kill",
                "the leader (port " + leader.getPort() + ") is killed",
                () -> cluster.killServer(leader));

        System.out.printf(
                "leader kill: the holder's manager answered again %d ms after the kill; its lease was %s;"
                        + " release said %s; the waiter got the lock %d ms after the release (%d ms after the"
                        + " kill)%n",
                ms(measured.served() - measured.fault()),
                measured.lease("kill"),
                measured.releaseSaid(),
                ms(measured.acquired() - measured.released()),
                ms(measured.acquired() - measured.fault()));
        HistoryChecker.assertSafe(recorder.history());
    }

    @Test
    void theOnlyMemberAHolderKnowsRestarted() throws Exception {
        recorder = new Recorder("EnsembleMemberLossTest.memberRestarted");
        InstanceSpec member = TestEnsembles.follower(cluster);
        Measured measured = holderAndWaiterThrough(
                "127.0.0.1:" + member.getPort(),
                "member-restart",
                "the holder's member (port " + member.getPort() + ") restarts",
                () -> cluster.restartServer(member));

        System.out.printf(
                "member restart: the holder's manager answered again %d ms after the restart began; its lease"
                        + " was %s; release said %s; the waiter got the lock %d ms after the release%n",
                ms(measured.served() - measured.fault()),
                measured.lease("restart"),
                measured.releaseSaid(),
                ms(measured.acquired() - measured.released()));
        HistoryChecker.assertSafe(recorder.history());
    }

    /**
     * The scenario of both tests: a holder (on the members of {@code holderConnect}) and a waiter
     * parked behind it (on every member) when {@code fault} strikes; then the holder, once its
     * manager answers again, works in its lease and releases, and the waiter gets the lock.
     */
    private Measured holderAndWaiterThrough(
            String holderConnect, String resource, String fault, Callable<Boolean> strike) throws Exception {
        try (TestBackends.Opened holder = open(holderConnect);
                TestBackends.Opened waiter = open(cluster.getConnectString())) {
            Lease held = awaitAcquired(holder.manager(), "holder", resource).keepAlive();
            AtomicLong lostAt = whenLost(held);
            CompletableFuture<Optional<Lease>> waiting = waitFor(waiter.manager(), resource);

            long struck = System.nanoTime();
            recorder.note(fault);
            assertThat(strike.call()).as(fault).isTrue();

            // The holder's lease survives if its session does: sections go on while it is valid.
            long served = awaitServed(holder.manager());
            section("holder", held);
            long released = System.nanoTime();
            boolean releaseSaid = release("holder", held);
            Lease won = waiting.get(30, TimeUnit.SECONDS).orElseThrow();
            long acquired = recorder.acquiredAt(resource, "waiter");
            section("waiter", won);
            release("waiter", won);
            return new Measured(struck, served, lostAt.get(), released, releaseSaid, acquired);
        }
    }

    /**
     * When things happened in {@link #holderAndWaiterThrough}, {@link System#nanoTime()} readings.
     *
     * @param lostAt when the holder's lease was reported lost, 0 if it was kept
     */
    private record Measured(long fault, long served, long lostAt, long released, boolean releaseSaid, long acquired) {
        /** What became of the holder's lease, for the printed line; {@code event} names the fault. */
        String lease(String event) {
            return lostAt == 0 ? "kept" : "lost " + ms(lostAt - fault) + " ms after the " + event;
        }
    }

    private TestBackends.Opened open(String connect) {
        return TestBackends.open(
                connect,
                BASE,
                ZooKeeperSettings.SESSION_TIMEOUT,
                SESSION.toMillis() + "ms",
                "dlm.operation.timeout",
                "2s",
                ZooKeeperSettings.CONNECTION_TIMEOUT,
                "2s");
    }

    private Lease awaitAcquired(LockManager manager, String process, String resource) {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .ignoreException(LockException.class)
                .until(() -> acquire(manager, process, resource, Duration.ZERO), Optional::isPresent)
                .orElseThrow();
    }

    private CompletableFuture<Optional<Lease>> waitFor(LockManager manager, String resource) {
        CompletableFuture<Optional<Lease>> waiting = CompletableFuture.supplyAsync(() -> {
            long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            for (; ; ) {
                try {
                    Optional<Lease> won = acquire(
                            manager, "waiter", resource, Duration.ofNanos(Math.max(0, until - System.nanoTime())));
                    if (won.isPresent() || System.nanoTime() - until >= 0) {
                        return won;
                    }
                } catch (LockException e) {
                    // A call during the election fails (X1); the waiter tries again, as callers do.
                    pause(50);
                }
            }
        });
        // Parked behind the holder before the fault.
        Awaitility.await().pollDelay(Duration.ofMillis(300)).until(() -> !waiting.isDone());
        return waiting;
    }

    /** When the manager answers again after the fault, by an inspect that succeeds. */
    private static long awaitServed(LockManager manager) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .ignoreException(LockException.class)
                .until(() -> manager.inspect("probe").isEmpty());
        return System.nanoTime();
    }

    private Optional<Lease> acquire(LockManager manager, String process, String resource, Duration wait) {
        return recorder.acquire(manager, process, resource, wait, LEASE);
    }

    /** Releases, asking again while a call fails: an outcome the connection hid (U4). */
    private boolean release(String process, Lease lease) {
        for (; ; ) {
            try {
                return recorder.release(process, lease);
            } catch (LockException e) {
                pause(50);
            }
        }
    }

    private void section(String process, Lease lease) {
        recorder.section(process, lease);
    }

    private static AtomicLong whenLost(Lease lease) {
        AtomicLong lostAt = new AtomicLong();
        lease.lost().thenRun(() -> lostAt.compareAndSet(0, System.nanoTime()));
        return lostAt;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000L;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
