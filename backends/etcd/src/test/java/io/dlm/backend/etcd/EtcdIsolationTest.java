package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.FaultProxy;
import io.dlm.tck.fault.FaultRecording;
import io.dlm.tck.fault.HistoryChecker;
import io.dlm.tck.fault.PartitionedHolder;
import io.dlm.tck.fault.Recorder;
import io.dlm.tck.fault.TestThreads;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
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

    @RegisterExtension
    final FaultRecording recording = new FaultRecording();

    private Recorder recorder() {
        return recording.recorder();
    }

    /**
     * N4: a waiter whose only member is cut off from the quorum while the holder (on another member)
     * releases. The member, without a leader, ends the waiter's watch ("no leader"); the waiter
     * must watch again once the member is back and get the lock within a second of that, although
     * its wait is shorter than the holder's lease, so the expiry cannot rescue it. "Back" is when
     * the member answers {@code /health} again: how long etcd takes to re-admit it after the network
     * heals (tens to hundreds of milliseconds here) is noted in the history, not the backend's to
     * shorten.
     */
    @Test
    void N4_waiterOnAnIsolatedMemberGetsTheLockReleasedMeanwhileWithinASecondOfTheHeal() throws Exception {
        waiterOnAnIsolatedMember(false);
    }

    /**
     * N4 with etcd compaction: as above, and the cluster compacts its history up to the release
     * while the member is cut off. The release's tombstone is gone, so a watch resumed from the
     * revision the waiter saw last gets no event (and is not cancelled either, since it starts at
     * the compaction revision): the waiter must still learn of the release.
     */
    @Test
    void N4_waiterOnAnIsolatedMemberGetsTheLockAlthoughTheReleaseWasCompactedAway() throws Exception {
        waiterOnAnIsolatedMember(true);
    }

    /**
     * N4, compaction while a watch is open: the waiter's connection to its member dies silently;
     * meanwhile the holder releases and the cluster compacts past the release. When the connection
     * is reset and redialled, the open watch resumes from a compacted revision and etcd cancels
     * it; the waiter still gets the lock within a second (plus the reconnection) of the heal.
     */
    @Test
    void N4_waiterWhoseOpenWatchIsCancelledByCompactionGetsTheLock() throws Exception {
        EtcdMember holderMember = CLUSTER.leader();
        EtcdMember waiterMember = follower(holderMember);
        URI client = URI.create(waiterMember.clientUrl());
        FaultProxy proxy = FaultProxy.start(client.getHost(), client.getPort());
        recording.track(proxy);
        HolderAndWaiter parked = holderAndParkedWaiter(holderMember, "http://" + proxy.host() + ":" + proxy.port());

        recorder().note("partition: the waiter's connection to " + waiterMember.name() + " drops every byte");
        proxy.blackhole(FaultProxy.Direction.BOTH);
        recorder().release("holder", parked.held());
        long compactedTo = compact(holderMember, true);
        recorder().note("compacted the cluster's history up to revision " + compactedTo + ", past the release");

        long healed = System.nanoTime();
        recorder().note("heal: the waiter's dead connection is reset, new ones pass");
        proxy.heal();
        proxy.resetAll();
        assertGetsTheLockWithin(parked, healed, notificationBound().plus(operationTimeout()), "the heal");
        HistoryChecker.assertSafe(recorder().history());
    }

    private void waiterOnAnIsolatedMember(boolean compactMeanwhile) throws Exception {
        EtcdMember holderMember = CLUSTER.leader();
        EtcdMember waiterMember = follower(holderMember);
        HolderAndWaiter parked = holderAndParkedWaiter(holderMember, waiterMember.clientUrl());
        double watchers = watchers(waiterMember);

        recorder().note("isolate " + waiterMember.name() + " (the waiter's only member) from the quorum");
        long isolated = System.nanoTime();
        long healed;
        CLUSTER.isolate(waiterMember);
        try {
            // Without a leader for three election timeouts, the member cancels the watch streams
            // that require one: the waiter's watch is dead from here on.
            Awaitility.await("the isolated member ends the waiter's watch")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> watchers(waiterMember) < watchers);
            recorder()
                    .note("the isolated member has ended the waiter's watch (no leader), "
                            + Duration.ofNanos(System.nanoTime() - isolated).toMillis() + " ms after the isolation");
            recorder().release("holder", parked.held());
            if (compactMeanwhile) {
                long compactedTo = compact(holderMember, false);
                recorder().note("compacted the cluster's history up to revision " + compactedTo + ", the release's");
            }
            Thread.sleep(1_000); // the isolation lasts on after the release, as a step of the scenario
        } finally {
            healed = System.nanoTime();
            recorder().note("heal: " + waiterMember.name() + " rejoins");
            waiterMemberHealed = true;
            CLUSTER.heal(waiterMember);
        }
        // The member first has to rejoin: hear from the leader and catch up (etcd's part, noted).
        // From then on the backend's part is N4's second.
        long back = awaitHealthy(waiterMember, healed);
        assertGetsTheLockWithin(parked, back, notificationBound(), "the member answering /health again after the heal");
        recorder()
                .note("the waiter got the lock "
                        + Duration.ofNanos(recorder().acquiredAt(parked.resource(), "waiter") - healed)
                                .toMillis()
                        + " ms after the network heal (/health may answer late: then this is the earlier one)");
        HistoryChecker.assertSafe(recorder().history());
    }

    /**
     * N1: the holder's only member is cut off from the quorum. Its renewals cannot reach the leader,
     * so its lease is reported lost by its local deadline (K3); its calls fail with {@code
     * INTERNAL_ERROR} within the operation timeout (X1); a contender on another member acquires
     * only after the lease ended on the leader; after the heal the holder's manager acquires again
     * within one lease plus the operation timeout ({@link PartitionedHolder}, the cut the member's
     * isolation).
     */
    @Test
    void N1_holderOnAnIsolatedMemberIsLostByItsDeadlineAndNobodyTakesTheLockEarly() throws Exception {
        EtcdMember contenderMember = CLUSTER.leader();
        EtcdMember holderMember = follower(contenderMember);
        Duration lease = Duration.ofSeconds(2);
        new PartitionedHolder(recorder(), operationTimeout(), slack())
                .run(
                        open(holderMember.clientUrl(), Map.of()),
                        open(contenderMember.clientUrl(), Map.of()),
                        resource(),
                        lease,
                        longWait(lease),
                        new PartitionedHolder.Partition(
                                () -> {
                                    recorder()
                                            .note("isolate " + holderMember.name()
                                                    + " (the holder's only member) from the quorum");
                                    CLUSTER.isolate(holderMember);
                                },
                                () -> {
                                    recorder().note("heal: " + holderMember.name() + " rejoins");
                                    CLUSTER.heal(holderMember);
                                }));
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * A holder on {@code holderMember}, with a lease no test waits out, and a waiter parked behind
     * it whose manager reaches etcd at {@code waiterEndpoint}; only the watch may wake the waiter,
     * with no recheck of the runtime's own.
     */
    private HolderAndWaiter holderAndParkedWaiter(EtcdMember holderMember, String waiterEndpoint) {
        LockManager holderSide = open(holderMember.clientUrl(), Map.of());
        LockManager waiterSide = open(waiterEndpoint, Map.of("dlm.wait.recheck", "1h"));
        String resource = resource();
        Duration lease = Duration.ofSeconds(30);
        Lease held = recorder()
                .acquire(holderSide, "holder", resource, Duration.ZERO, lease)
                .orElseThrow();
        return new HolderAndWaiter(resource, held, parkedWaiter(waiterSide, resource, lease));
    }

    /** The N4 tests' holder and the waiter parked behind it. */
    private record HolderAndWaiter(String resource, Lease held, CompletableFuture<Optional<Lease>> waiter) {}

    private void assertGetsTheLockWithin(HolderAndWaiter parked, long since, Duration bound, String event)
            throws Exception {
        String resource = parked.resource();
        Optional<Lease> won;
        try {
            won = parked.waiter().get(bound.plus(slack()).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("N4: the waiter failed instead of getting the free lock", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(
                    "N4: the waiter did not get the free lock within " + bound.plus(slack()) + " of " + event, e);
        }
        assertThat(won)
                .as("N4: the waiter gets the free lock (its wait ran out instead)")
                .isPresent();
        Duration took = Duration.ofNanos(recorder().acquiredAt(resource, "waiter") - since);
        recorder().note("the waiter got the lock " + took.toMillis() + " ms after " + event);
        assertThat(took)
                .as("N4: the waiter gets the lock within 1 s of %s", event)
                .isLessThanOrEqualTo(bound);
        recorder().release("waiter", won.get());
    }

    /**
     * Waits until the member answers {@code /health} again (it has a leader and serves reads) and
     * notes how long after the heal that was: etcd's part of the waiter's delay, not the backend's.
     *
     * @return {@link System#nanoTime()} when it answered
     */
    private long awaitHealthy(EtcdMember member, long healed) {
        Awaitility.await(member.name() + " healthy after the heal")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> CLUSTER.isHealthy(member));
        long back = System.nanoTime();
        recorder()
                .note(member.name() + " answers /health again, "
                        + Duration.ofNanos(back - healed).toMillis() + " ms after the heal");
        return back;
    }

    /** Set when the waiter's member is healed; from then on a failed look is retried. */
    private volatile boolean waiterMemberHealed;

    /**
     * A waiter parked behind the holder. While its member is isolated it must not be woken into an
     * attempt that can only fail: a failure then fails the test. Once the member is healed it acts
     * as a caller does: a look that failed with {@code INTERNAL_ERROR} (X1) because the member was
     * still catching up (a read waits for the member to apply the log) is tried again, within its
     * wait; N4's bound is then measured from the member's return as before.
     */
    private CompletableFuture<Optional<Lease>> parkedWaiter(LockManager waiterSide, String resource, Duration lease) {
        Thread[] waiterThread = new Thread[1];
        CompletableFuture<Optional<Lease>> waiter = TestThreads.background("waiter", () -> {
            waiterThread[0] = Thread.currentThread();
            long until = System.nanoTime() + TckTimings.scaledMillis(20_000).toNanos();
            for (; ; ) {
                try {
                    return recorder()
                            .acquire(
                                    waiterSide,
                                    "waiter",
                                    resource,
                                    Duration.ofNanos(Math.max(0, until - System.nanoTime())),
                                    lease);
                } catch (LockException e) {
                    if (!waiterMemberHealed
                            || e.error() != LockError.INTERNAL_ERROR
                            || System.nanoTime() - until >= 0) {
                        throw e;
                    }
                }
            }
        });
        TestThreads.awaitParked(waiterThread);
        return waiter;
    }

    /**
     * Compacts the cluster's history, through {@code member}: up to the current revision, or, with
     * {@code writeFirst}, up to a write of an unrelated key made first. Either way the release's
     * tombstone is gone; a watch resuming from the release's revision is cancelled as compacted
     * only in the second case, and in the first starts without events.
     *
     * @return the revision compacted to
     */
    private long compact(EtcdMember member, boolean writeFirst) throws Exception {
        try (Client client = Client.builder().endpoints(member.clientUrl()).build()) {
            ByteSequence probe = ByteSequence.from(namespace + "compaction-probe", StandardCharsets.UTF_8);
            long revision = (writeFirst
                            ? client.getKVClient()
                                    .put(probe, ByteSequence.from("x", StandardCharsets.UTF_8))
                                    .get(10, TimeUnit.SECONDS)
                                    .getHeader()
                            : client.getKVClient()
                                    .get(probe)
                                    .get(10, TimeUnit.SECONDS)
                                    .getHeader())
                    .getRevision();
            client.getKVClient().compact(revision).get(10, TimeUnit.SECONDS);
            return revision;
        }
    }

    /** Long enough for a lease to expire on the leader (whole seconds, 500 ms expiry checks) and a waiter to notice. */
    private static Duration longWait(Duration lease) {
        return lease.multipliedBy(2)
                .plus(Duration.ofSeconds(1))
                .plus(Duration.ofMillis(500))
                .plus(operationTimeout())
                .plus(slack());
    }

    private LockManager open(String endpoints, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "dlm.etcd.endpoints",
                endpoints,
                "dlm.etcd.namespace",
                namespace,
                "dlm.operation.timeout",
                operationTimeout().toMillis() + "ms"));
        settings.putAll(extra);
        LockManager manager = LockManagers.open("etcd", settings);
        recording.track(manager);
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
}
