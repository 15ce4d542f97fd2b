package io.dlm.tck.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.Durations;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.History;
import io.dlm.tck.fault.HistoryChecker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCK's cross-process tier: lock clients in other JVMs, started with {@link ForkedJvm} and
 * running {@link LockClientMain}, against the backend's real engine. What one JVM cannot show:
 *
 * <ul>
 *   <li>E2, C1: a holder killed with {@code SIGKILL} (no release, no close) keeps its lock while
 *       its engine still counts it alive, and another process gets the lock, with a larger token,
 *       once the lease ran out or the engine noticed the death;
 *   <li>M1, F1: two JVMs counting in one file under one lock never lose an update, and each gets
 *       ever larger tokens, none issued twice;
 *   <li>S3: three JVMs campaign for one leadership and work while they lead; a leader killed with
 *       {@code SIGKILL} is replaced in time, and a leader paused with {@code SIGSTOP} is replaced
 *       and, resumed as soon as its successor works, told revoked before it works again; at no instant do
 *       two leaders work, and each leader's token is larger than the one before (M1, M3, F1, K2).
 * </ul>
 *
 * <p>A backend's test extends it and names the backend and its connection settings; the forked
 * JVMs get the same settings as {@code key=value} arguments, so the backend and its driver must be
 * on the test class path. Bounds scale with {@link TckTimings}.
 *
 * <pre>{@code
 * class RedisCrossProcessTest extends CrossProcessTck {
 *     protected String backend() { return "redis"; }
 *     protected Map<String, String> settings() {
 *         return Map.of("dlm.redis.uri", URI, "dlm.redis.key-prefix", PREFIX);
 *     }
 * }
 * }</pre>
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class CrossProcessTck {

    /** A JVM starting on a loaded two-core machine, loading a driver and connecting, takes a while. */
    private static final Duration JVM_START = Duration.ofSeconds(90);

    /** How long a step of the S3 test may take beyond its bound before it is given up. */
    private static final Duration STEP_TIMEOUT = TckTimings.scaled(Duration.ofSeconds(30));

    /** How late the S3 test may notice a line in a journal, on a busy machine. */
    private static final Duration NOTICED_WITHIN = TckTimings.scaled(Duration.ofSeconds(1));

    /** Where the S3 test keeps the timeline of its history, passed or failed, as the fault tier does. */
    private static final Path TIMELINES = Path.of("target", "fault-histories");

    private static final String OPERATION_TIMEOUT = "dlm.operation.timeout";

    /** The runtime's default {@code dlm.operation.timeout} (SPEC X1). */
    private static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(5);

    private final String run = UUID.randomUUID().toString();

    /** For subclasses: a backend's test class. */
    protected CrossProcessTck() {}

    /**
     * The backend's provider name, as {@code LockManagers.open} takes it.
     *
     * @return the name
     */
    protected abstract String backend();

    /**
     * The settings that reach the engine under test (its address, key prefix or table), used by
     * the test's own manager and by every forked client.
     *
     * @return {@code dlm.*} settings
     */
    protected abstract Map<String, String> settings();

    /**
     * The settings of a forked client: {@link #settings()} by default. Override to give a fresh
     * JVM more time for its first call, for example.
     *
     * @return {@code dlm.*} settings
     */
    protected Map<String, String> forkedSettings() {
        return settings();
    }

    /**
     * How soon the engine notices on its own that a killed holder is gone, when it does sooner than
     * the lease ends (a ZooKeeper session's expiry). Empty, by default: the engine knows a holder
     * only by its lease, so the lock must stay held until the lease ran out.
     *
     * @return the bound, or empty
     */
    protected Optional<Duration> deathNoticedWithin() {
        return Optional.empty();
    }

    /**
     * The lease of the holder that is killed: long enough that the lock is still held when the
     * test looks right after the kill. Override with a much longer one where the engine notices a
     * death by itself ({@link #deathNoticedWithin()}), to show that it does.
     *
     * @return three seconds by default
     */
    protected Duration holderLease() {
        return Duration.ofSeconds(3);
    }

    /**
     * How late after the lease ran out (or the death was noticed) the next client may get the lock:
     * the engine's expiry check and a waiter's wake-up. Scaled by the timeout multiplier.
     *
     * @return three seconds by default
     */
    protected Duration freedWithin() {
        return Duration.ofSeconds(3);
    }

    /**
     * The lease the campaigners of the S3 test ask for: short, so that a lost leader is replaced
     * soon. Scaled, and rounded up to whole seconds for engines with whole-second leases (etcd).
     * Override where the engine's lease granularity is coarser still.
     *
     * @return two seconds by default, scaled
     */
    protected Duration leaderLease() {
        long millis = TckTimings.scaled(Duration.ofSeconds(2)).toMillis();
        return Duration.ofSeconds((millis + 999) / 1000);
    }

    @Test
    void E2_aHolderKilledWithSigkillKeepsItsLockUntilTheEngineEndsItsLease() throws Exception {
        String resource = resource("killed");
        Duration lease = holderLease();
        Duration heldFor = deathNoticedWithin().orElse(lease);
        try (LockManager manager = open();
                ForkedJvm holder = ForkedJvm.start(
                        LockClientMain.class, arguments("hold", resource, "doomed", Long.toString(lease.toMillis())))) {
            long token = Long.parseLong(holder.awaitLine("ACQUIRED ", JVM_START)
                    .substring("ACQUIRED ".length())
                    .trim());
            // The holder's lease began before it printed its line: this is a late estimate of it.
            long acquired = System.nanoTime();
            holder.kill();
            LockInfo info = manager.inspect(resource).orElseThrow();
            assertThat(info.clientId()).as("holder right after SIGKILL").isEqualTo("doomed");
            assertThat(info.fencingToken()).isEqualTo(token);

            assertThat(manager.lock(
                            resource,
                            "survivor",
                            TckTimings.scaled(Duration.ofSeconds(60)).toMillis()))
                    .as("lock of the killed holder's resource")
                    .isTrue();
            Duration waited = Duration.ofNanos(System.nanoTime() - acquired);
            if (deathNoticedWithin().isEmpty()) {
                assertThat(waited)
                        .as("E2: not before the killed holder's lease of %s ran out", lease)
                        .isGreaterThanOrEqualTo(lease.minusMillis(500));
            }
            assertThat(waited)
                    .as("E2: soon after the lease ran out or the engine noticed the death (%s)", heldFor)
                    .isLessThan(heldFor.plus(TckTimings.scaled(freedWithin())));
            assertThat(manager.inspect(resource).orElseThrow().fencingToken())
                    .as("F1: the survivor's token")
                    .isGreaterThan(token);
        }
    }

    @Test
    void M1_twoJvmsCountingUnderOneLockNeverLoseAnUpdateAndTokensGrow(@TempDir Path dir) throws Exception {
        String resource = resource("counted");
        Path counter = Files.writeString(dir.resolve("counter"), "0", StandardCharsets.UTF_8);
        int iterations = 25;
        List<ForkedJvm> jvms = new ArrayList<>();
        try {
            for (String client : List.of("jvm-a", "jvm-b")) {
                jvms.add(ForkedJvm.start(
                        LockClientMain.class,
                        arguments("count", resource, client, Integer.toString(iterations), counter.toString())));
            }
            Set<Long> all = new HashSet<>();
            for (ForkedJvm jvm : jvms) {
                long previous = Long.MIN_VALUE;
                for (int i = 0; i < iterations; i++) {
                    String line =
                            jvm.awaitLine("TOKEN ", i == 0 ? JVM_START : TckTimings.scaled(Duration.ofSeconds(60)));
                    long token =
                            Long.parseLong(line.substring("TOKEN ".length()).trim());
                    assertThat(token).as("F1: token %d of one JVM", i).isGreaterThan(previous);
                    assertThat(all.add(token))
                            .as("F1: token %d issued twice", token)
                            .isTrue();
                    previous = token;
                }
                jvm.awaitLine("DONE", TckTimings.scaled(Duration.ofSeconds(60)));
                assertThat(jvm.awaitExit(TckTimings.scaled(Duration.ofSeconds(30))))
                        .as("exit status of a counting JVM")
                        .isZero();
            }
        } finally {
            jvms.forEach(ForkedJvm::close);
        }
        // The file is read and written with no other guard than the lock (M1).
        assertThat(Files.readString(counter, StandardCharsets.UTF_8).trim())
                .as("M1: the counter after %d guarded increments by each JVM", iterations)
                .isEqualTo(Integer.toString(2 * iterations));
    }

    /**
     * S3 across processes, on one set of three JVMs to keep it short: the first leader is killed,
     * the next one is paused until another leads and then resumed. Each JVM journals its elections,
     * revocations and steps of work ({@link LeaderJournal}); all of it goes into the fault tier's
     * {@link History}, whose {@link HistoryChecker} finds two leaders working at once or out of
     * token order. Times from different JVMs are compared directly: {@link System#nanoTime()} is
     * {@code CLOCK_MONOTONIC} on Linux, one clock for every process on the host.
     */
    @Test
    void S3_threeJvmsCampaignOneLeadsAtATimeAKilledLeaderIsReplacedAndAPausedOneIsRevokedBeforeItActs(@TempDir Path dir)
            throws Exception {
        String resource = resource("leader");
        Duration lease = leaderLease();
        // The engine frees a dead or stopped leader's lock when its lease ends, or when it notices the
        // death if that comes first; a campaigner then gets it within the engine's expiry lag and a call.
        Duration replacedWithin = deathNoticedWithin()
                .filter(noticed -> noticed.compareTo(lease) < 0)
                .orElse(lease)
                .plus(operationTimeout())
                .plus(TckTimings.scaled(freedWithin()));
        Duration settled = lease.dividedBy(2); // a leader renewed its lease once by then (K1: a third)
        History history = new History(getClass().getSimpleName() + ".S3_killedAndPausedLeaders");
        List<String> clients = List.of("s3-a", "s3-b", "s3-c");
        Campaigners campaigners = Campaigners.start(
                clients,
                dir,
                (client, journal) ->
                        arguments("lead", resource, client, Long.toString(lease.toMillis()), journal.toString()));
        Campaigners.Term paused;
        long pausedAt;
        try {
            campaigners.awaitCampaigning(JVM_START);
            Set<String> live = new LinkedHashSet<>(clients);

            Campaigners.Term killed = campaigners.awaitSettledLeader(live, settled, STEP_TIMEOUT);
            history.note("SIGKILL " + killed.client());
            long killedAt = System.nanoTime();
            campaigners.kill(killed.client());
            live.remove(killed.client());
            awaitSuccessor(campaigners, killed, "killed", killedAt, live, replacedWithin);

            paused = campaigners.awaitSettledLeader(live, settled, STEP_TIMEOUT);
            history.note("SIGSTOP " + paused.client());
            long pauseSentAt = System.nanoTime();
            campaigners.pause(paused.client());
            pausedAt = System.nanoTime(); // from here on no thread of the paused JVM runs until SIGCONT
            live.remove(paused.client());
            Campaigners.Term next = awaitSuccessor(campaigners, paused, "paused", pauseSentAt, live, replacedWithin);
            campaigners.awaitActs(Set.of(next.client()), next.electedAt(), 1, STEP_TIMEOUT);
            // Resumed as soon as its successor works: another holds the lock, so the engine ended the
            // paused leader's lease, and its local deadline (K2) must be behind it too. No wait for
            // the lease itself: where the engine also ends locks on its own (a ZooKeeper session
            // shorter than the lease), waiting out the lease would hide a deadline that ignored it.
            history.note("SIGCONT " + paused.client());
            campaigners.resume(paused.client());
            long revokedAt = campaigners.awaitRevoked(
                    paused.client(), paused.token(), pausedAt, TckTimings.scaled(Duration.ofSeconds(5)));
            // A resumed leader that still believed it led would work by now: give it a few steps' time.
            campaigners.awaitActs(live, revokedAt, 3, STEP_TIMEOUT);
        } finally {
            campaigners.close();
            campaigners.record(history, resource);
            history.writeTimeline(TIMELINES);
        }
        HistoryChecker.assertSafe(history);
        assertNoStepAfterResuming(campaigners.entries(), paused, pausedAt);
        assertNoTokenOfTwo(campaigners.entries());
    }

    /**
     * Waits for the leader after {@code leader} was killed or paused at {@code faultAt}, and checks
     * that it came in time, with a larger token (S3, F1).
     */
    private static Campaigners.Term awaitSuccessor(
            Campaigners campaigners,
            Campaigners.Term leader,
            String fault,
            long faultAt,
            Set<String> candidates,
            Duration within)
            throws InterruptedException {
        String what = String.format("S3: the next leader after %s was %s", leader, fault);
        Campaigners.Term next = campaigners.awaitElectedAfter(what, faultAt, candidates, within.plus(NOTICED_WITHIN));
        assertThat(Duration.ofNanos(next.electedAt() - faultAt))
                .as("%s: %s", what, next)
                .isLessThanOrEqualTo(within);
        assertThat(next.token())
                .as("F1: the token of %s, elected after %s was %s", next, leader, fault)
                .isGreaterThan(leader.token());
        return next;
    }

    /**
     * S3, K2: a leader paused past its lease finds it invalid on resuming, before its next step.
     * Every step it began after {@code stoppedAt} began after it resumed, since no thread of a
     * stopped JVM runs.
     */
    private static void assertNoStepAfterResuming(
            List<LeaderJournal.Entry> entries, Campaigners.Term paused, long stoppedAt) {
        assertThat(entries.stream()
                        .filter(e ->
                                e.kind() == LeaderJournal.Kind.ACT && e.client().equals(paused.client()))
                        .filter(e -> e.token() == paused.token() && e.checkedAt() > stoppedAt))
                .as(
                        "S3, K2: steps of work that %s, paused past its lease, began with its old lease after it"
                                + " resumed (each asked Leadership.current() first); timeline under %s",
                        paused, TIMELINES)
                .isEmpty();
    }

    /** F1: a token is issued once, so only one campaigner leads or works with it. */
    private static void assertNoTokenOfTwo(List<LeaderJournal.Entry> entries) {
        Map<Long, Set<String>> holders = new HashMap<>();
        entries.forEach(
                e -> holders.computeIfAbsent(e.token(), t -> new HashSet<>()).add(e.client()));
        assertThat(holders)
                .as("F1: a token that two campaigners led or worked with; timeline under %s", TIMELINES)
                .allSatisfy((token, owners) -> assertThat(owners).hasSize(1));
    }

    /** How the runtime bounds an engine call unless the settings say otherwise ({@code dlm.operation.timeout}). */
    private Duration operationTimeout() {
        String value = settings().get(OPERATION_TIMEOUT);
        return value == null ? DEFAULT_OPERATION_TIMEOUT : Durations.parsePositive(OPERATION_TIMEOUT, value);
    }

    private String resource(String name) {
        return "dlm-tck/" + run + "/" + name;
    }

    private LockManager open() {
        return LockManagers.open(backend(), new HashMap<>(settings()));
    }

    private List<String> arguments(String mode, String resource, String client, String... rest) {
        List<String> arguments = new ArrayList<>(List.of(mode, backend(), resource, client));
        arguments.addAll(List.of(rest));
        for (Map.Entry<String, String> setting : forkedSettings().entrySet()) {
            arguments.add(setting.getKey() + "=" + setting.getValue());
        }
        return arguments;
    }
}
