package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.FakeClock;
import io.dlm.tck.fault.History;
import io.dlm.tck.fault.HistoryChecker;
import io.dlm.tck.fault.Recorder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * N6 on a real three-member ensemble whose members are separate server JVMs, one of them under
 * libfaketime: the ZooKeeper leader's wall clock, fast by 60 s or stepped while locks are held,
 * must neither let a rival take a live lease nor make a holder's kept-alive lease lost, and must
 * leave no damage once that member is gone or its clock corrected.
 *
 * <p>Each step (acquisitions, the rival's tries, the holders' fenced writes, the faults) goes into a
 * {@link History}, checked by the fault tier's {@link HistoryChecker}; its timeline is always
 * written under {@code target/fault-histories/}.
 */
class LeaderClockFaultTest {

    /**
     * Long enough to ride out an election and the reconnection to another member (one to two
     * seconds on a loaded machine), with renewals every third of it.
     */
    private static final Duration LEASE = TckTimings.scaledMillis(5_000);

    /** Each phase: several renewals, and longer than a rival must see a node unchanged. */
    private static final Duration PHASE = LEASE.multipliedBy(5).dividedBy(4);

    /** How often the holders write and the rival tries. */
    private static final Duration STEP = Duration.ofMillis(200);

    /** The member whose clock is wrong; the highest id, so it wins the first election. */
    private static final int WRONG = 3;

    @TempDir
    Path dir;

    private ForkedEnsemble ensemble;
    private Recorder recorder;
    private History history;
    private final List<LockManager> managers = new ArrayList<>();
    private final List<String> rivalWins = new ArrayList<>();
    private final List<String> losses = new ArrayList<>();
    private final String base = TestZooKeeper.basePath(LeaderClockFaultTest.class);

    @BeforeEach
    void start(TestInfo test) throws Exception {
        String name = LeaderClockFaultTest.class.getSimpleName() + "."
                + test.getTestMethod().orElseThrow().getName();
        // Under target/, not a temporary directory: the members' logs outlive a failing run.
        ensemble = new ForkedEnsemble(Path.of("target", "zookeeper-ensembles", name), 3);
        recorder = new Recorder(name);
        history = recorder.history();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            history.note("end of the test: the managers close (their leases end with them)");
            managers.forEach(LockManager::close);
        } finally {
            ensemble.close();
            recorder.keepTimeline();
        }
    }

    /**
     * Member 3 leads; while a holder keeps a lease alive and a rival tries for it, that member's
     * clock steps 60 s forward, is corrected, steps 60 s back, is corrected, and steps 60 s forward
     * again; then member 3, the leader with the fast clock, is killed and a member with a right
     * clock leads. Neither the holder's lease nor a lease taken after the failover may be lost or
     * taken by the rival. (One ensemble for all of it: forked members take a while to start.)
     */
    @Test
    void N6_stepsOfTheLeadersClockAndTheLossOfALeaderWithAFastClockEndNoLiveLease() throws Exception {
        FakeClock clock = FakeClock.create(dir.resolve("clock"), "+0");
        startWithWrongLeader(clock);
        history.note("member " + WRONG + " leads, its clock still right");
        LockManager holderSide = open();
        LockManager rivalSide = open();

        Holder first = new Holder(holderSide, "holder", "first");
        first.acquire();
        watch(List.of(first), rivalSide, LEASE.dividedBy(2));
        for (String offset : List.of("+60s", "+0", "-60s", "+0", "+60s")) {
            clock.step(offset);
            history.note("the leader's wall clock is stepped to " + offset + " (read by it within 1 s)");
            watch(List.of(first), rivalSide, PHASE);
        }

        history.note("SIGKILL of member " + WRONG + ", the leader, its clock 60 s fast");
        ensemble.kill(WRONG);
        int leader = ensemble.awaitLeader(Duration.ofSeconds(60));
        history.note("member " + leader + " leads, its clock right");
        watch(List.of(first), rivalSide, PHASE);

        // Damage that sticks would show on a lock taken under the new leader, too.
        Holder second = new Holder(holderSide, "holder", "second");
        second.acquire();
        history.note("a second lock taken under member " + leader);
        watch(List.of(first, second), rivalSide, PHASE);

        assertNoDamage();
    }

    // ---- steps --------------------------------------------------------------------------------

    private void startWithWrongLeader(FakeClock clock) throws Exception {
        // The wrong member and one other first: of two fresh members the higher id leads. The
        // third joins as a follower meanwhile; it is needed only once the wrong member is killed.
        ensemble.start(WRONG, cachedClock(clock));
        ensemble.start(2, Map.of());
        assertThat(ensemble.awaitLeader(Duration.ofSeconds(120))).isEqualTo(WRONG);
        ensemble.start(1, Map.of());
    }

    /**
     * The clock's environment, but with the offset file read at most once a second rather than on
     * every clock call: a JVM reads the wall clock far too often for the latter.
     */
    private static Map<String, String> cachedClock(FakeClock clock) {
        Map<String, String> environment = new HashMap<>(clock.environment());
        environment.remove("FAKETIME_NO_CACHE");
        environment.put("FAKETIME_CACHE_DURATION", "1");
        return environment;
    }

    /**
     * A session of 15 s, the longest the ensemble grants: the holder's session must survive the
     * failover (an election and a reconnection: 1.3 s seen, once over 3 s on a loaded host), so the
     * test can tell a lease ended by a clock from one given up with its session; SessionGuard gives
     * a disconnected 15 s session up after 3.75 s.
     */
    private LockManager open() {
        LockManager manager = LockManagers.open(
                "zookeeper",
                TestBackends.settings(
                        ensemble.connectString(),
                        base,
                        ZooKeeperSettings.SESSION_TIMEOUT,
                        "15s",
                        "dlm.operation.timeout",
                        "2s"));
        managers.add(manager);
        return manager;
    }

    /**
     * For {@code duration}: each holder writes to the fenced store if its lease is valid, and the
     * rival tries for each holder's resource, writing when it wins.
     */
    private void watch(List<Holder> holders, LockManager rivalSide, Duration duration) {
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() - end < 0) {
            for (Holder holder : holders) {
                holder.write();
                History.Op op = history.call("rival", "acquire", holder.resource);
                try {
                    Optional<Lease> won = rivalSide.tryAcquire(holder.resource, "rival", Duration.ZERO, LEASE);
                    if (won.isPresent()) {
                        op.ok(History.ACQUIRED, won.get().fencingToken());
                        rivalWins.add(holder.resource + " while " + holder.describe());
                        section("rival", won.get());
                        won.get().keepAlive();
                    } else {
                        op.ok("busy");
                    }
                } catch (LockException e) {
                    op.failed(e); // e.g. during an election
                }
            }
            sleep(STEP);
        }
    }

    private void assertNoDamage() {
        HistoryChecker.assertSafe(history);
        assertThat(rivalWins)
                .as("N6: the rival took a lock whose holder kept its lease alive")
                .isEmpty();
        assertThat(losses)
                .as("N6: a kept-alive lease was lost although its holder's process and session were fine")
                .isEmpty();
    }

    private boolean section(String process, Lease lease) {
        return recorder.section(process, lease);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A client that keeps one lease alive, and takes it again if it is lost, to go on watching. */
    private final class Holder {

        private final LockManager manager;
        private final String client;
        private final String resource;
        private Lease lease;

        Holder(LockManager manager, String client, String resource) {
            this.manager = manager;
            this.client = client;
            this.resource = resource;
        }

        void acquire() {
            History.Op op = history.call(client, "acquire", resource);
            Lease taken = Awaitility.await(client + " acquires " + resource)
                    .atMost(Duration.ofSeconds(30))
                    .ignoreException(LockException.class)
                    .until(() -> manager.tryAcquire(resource, client, LEASE, LEASE), Optional::isPresent)
                    .orElseThrow();
            op.ok(History.ACQUIRED, taken.fencingToken());
            lease = taken.keepAlive();
            long acquired = System.nanoTime();
            lease.lost().thenAccept(loss -> {
                synchronized (losses) {
                    losses.add(resource + " (token " + taken.fencingToken() + ") lost "
                            + Duration.ofNanos(System.nanoTime() - acquired).toMillis() + " ms after it was taken: "
                            + loss.getMessage());
                }
                history.note(client + "'s lease on " + resource + " (token " + taken.fencingToken()
                        + ") reported lost: " + loss.getMessage());
            });
        }

        void write() {
            if (section(client, lease)) {
                return;
            }
            // Lost: take it again (if the rival left it), so that later faults still have a victim.
            History.Op op = history.call(client, "acquire", resource);
            try {
                Optional<Lease> again = manager.tryAcquire(resource, client, Duration.ZERO, LEASE);
                if (again.isPresent()) {
                    op.ok(History.ACQUIRED, again.get().fencingToken());
                    lease = again.get().keepAlive();
                } else {
                    op.ok("busy");
                }
            } catch (LockException e) {
                op.failed(e); // during an election: try again at the next step
            }
        }

        String describe() {
            return client + " held it with token " + lease.fencingToken() + " (valid: " + lease.isValid() + ")";
        }
    }
}
