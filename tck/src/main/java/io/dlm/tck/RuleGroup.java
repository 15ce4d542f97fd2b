package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertAll;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * What every rule group shares: the backend under test, managers and threads that are cleaned up
 * after each test, random ids and the TCK's timings.
 *
 * <p>Timings are named for what they bound, all scaled by {@link TckTimings}: {@link #prompt()} is
 * how soon a woken waiter must return, {@link #longLease()} outlives any test, {@link
 * #shortLease()} expires within one.
 */
// A last resort against a backend that hangs: the build fails instead of stalling forever.
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class RuleGroup {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final LockManagerTck tck;
    private final String runId = UUID.randomUUID().toString();
    private final List<LockManager> managers = new ArrayList<>();
    private final List<Background<?>> threads = new ArrayList<>();
    private final List<InjectedFaults> faults = new ArrayList<>();
    private @Nullable LockManager defaultManager;

    RuleGroup(LockManagerTck tck) {
        this.tck = tck;
    }

    /** Closes what the test opened even when it failed, so the next test starts clean. */
    @AfterEach
    final void closeEverything() {
        List<Throwable> problems = new ArrayList<>();
        // Healed first, so that no renewal a fault holds up keeps a closing manager waiting.
        faults.forEach(InjectedFaults::heal);
        faults.clear();
        for (LockManager manager : managers) {
            try {
                manager.close();
            } catch (RuntimeException e) {
                problems.add(e);
            }
        }
        managers.clear();
        defaultManager = null;
        for (Background<?> thread : threads) {
            thread.stop(prompt());
        }
        threads.clear();
        if (!problems.isEmpty()) {
            AssertionError error = new AssertionError("close() threw; it must not (C1)", problems.get(0));
            problems.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    // ---- managers and ids -------------------------------------------------------------------

    /**
     * A manager opened on first use, whose {@code lock} leases last {@link #longLease()} so that no
     * lock of a test expires on a stalled machine unless the test wants it to.
     */
    final LockManager manager() {
        LockManager current = defaultManager;
        if (current == null) {
            current = open("dlm.lease.min", millis(longLease()));
            defaultManager = current;
        }
        return current;
    }

    /**
     * Opens a manager with the given settings; it is closed after the test. Waiters do not look at
     * the engine on their own ({@code dlm.wait.recheck} of an hour) unless a test says otherwise, so
     * that the waiting rules (L4, U3) see what the backend's notifications do, not the runtime's
     * safety net for lost ones (N4, which the fault tier checks).
     */
    final LockManager open(Map<String, String> properties) {
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.putIfAbsent("dlm.wait.recheck", "1h");
        LockManager manager = tck.openManager(Map.copyOf(all));
        assertThat(manager).as("openManager(%s)", properties).isNotNull();
        managers.add(manager);
        return manager;
    }

    /**
     * Opens a manager whose backend carries {@code injected} faults (K1-K5, X5); the faults are
     * healed and the manager closed after the test.
     */
    final LockManager openWithFaults(InjectedFaults injected, String... keysAndValues) {
        faults.add(injected);
        Map<String, String> all = settings(keysAndValues);
        all.putIfAbsent("dlm.wait.recheck", "1h");
        LockManager manager = tck.openManager(Map.copyOf(all), injected);
        assertThat(manager)
                .as("openManager(%s, faults)", (Object) keysAndValues)
                .isNotNull();
        managers.add(manager);
        return manager;
    }

    /** Opens a manager from alternating keys and values. */
    final LockManager open(String... keysAndValues) {
        return open(settings(keysAndValues));
    }

    static Map<String, String> settings(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must come in pairs");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    /** The raw factory, for tests that expect opening to fail (E1a). */
    final LockManagerTck tck() {
        return tck;
    }

    /** A resource id no other test or rerun uses. */
    final String resource() {
        return "dlm-tck/" + runId + "/r" + SEQUENCE.incrementAndGet();
    }

    /** A client id no other test or rerun uses; {@code role} makes failure messages readable. */
    final String client(String role) {
        return "dlm-tck/" + runId + "/" + role + SEQUENCE.incrementAndGet();
    }

    /** A duration as the settings syntax spells it (E1a), in whole milliseconds. */
    static String millis(Duration duration) {
        return Math.max(1, duration.toMillis()) + "ms";
    }

    // ---- timings ----------------------------------------------------------------------------

    final Duration granularity() {
        return tck.leaseGranularity();
    }

    final boolean sharedLockSpace() {
        return tck.sharedLockSpace();
    }

    /** A lease as the engine keeps it: rounded up to the granularity, never down (E1). */
    final Duration effective(Duration lease) {
        long grain = granularity().toNanos();
        long nanos = lease.toNanos();
        long units = (nanos + grain - 1) / grain;
        return Duration.ofNanos(units * grain);
    }

    static Duration scaled(long millis) {
        return TckTimings.scaledMillis(millis);
    }

    /** How soon a waiter must return after what should wake it (a release, an expiry, close). */
    static Duration prompt() {
        return scaled(1_000);
    }

    /** A lease no test outlives, so a lock held with it is never lost by expiry. */
    static Duration longLease() {
        return scaled(60_000);
    }

    /** A lease that runs out within a test. */
    static Duration shortLease() {
        return scaled(300);
    }

    /** How late after its deadline an expired lease may still be seen, granularity included. */
    final Duration expirySlack() {
        return scaled(250).plus(granularity());
    }

    /** How far a reported remaining lease may lag behind the ideal, for time spent in calls. */
    final Duration remainingTolerance() {
        return scaled(750).plus(granularity());
    }

    static long nanosSince(long startNanos) {
        return System.nanoTime() - startNanos;
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(nanosSince(startNanos));
    }

    /** Lets time pass; used only where the rule is about time passing, never to await a state. */
    static void sleepUntil(long deadlineNanos) {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while letting time pass", e);
            }
        }
    }

    /** Polls in the test thread, so no helper thread of the TCK is mistaken for a backend's. */
    static ConditionFactory await(Duration atMost) {
        return Awaitility.await()
                .atMost(atMost)
                .pollInSameThread()
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(5));
    }

    // ---- threads ----------------------------------------------------------------------------

    /** Runs a call on its own thread; it is interrupted and joined after the test. */
    final <T> Background<T> inBackground(String name, Callable<T> call) {
        Background<T> background = Background.start(name, call);
        threads.add(background);
        return background;
    }

    /**
     * Starts {@code lock} on its own thread and returns once it is parked, i.e. queued.
     *
     * @return the running call
     */
    final Background<Boolean> queuedLock(LockManager manager, String resource, String client, long timeoutMillis) {
        Background<Boolean> waiter = lockInBackground(manager, resource, client, timeoutMillis);
        awaitQueued(waiter);
        return waiter;
    }

    /**
     * Starts {@code lock} on its own thread and returns at once, for a waiter whose lock may be
     * free before it could be seen queued.
     *
     * @return the running call
     */
    private Background<Boolean> lockInBackground(
            LockManager manager, String resource, String client, long timeoutMillis) {
        return inBackground("lock(" + client + ")", () -> manager.lock(resource, client, timeoutMillis));
    }

    /**
     * Starts {@code tryAcquire} with a {@link #longLease()} on its own thread and returns once it is
     * parked, i.e. queued.
     *
     * @return the running call
     */
    final Background<Optional<Lease>> queuedTryAcquire(
            LockManager manager, String resource, String client, Duration wait) {
        Background<Optional<Lease>> waiter = inBackground(
                "tryAcquire(" + client + ")", () -> manager.tryAcquire(resource, client, wait, longLease()));
        awaitQueued(waiter);
        return waiter;
    }

    /**
     * Waits until a background call is parked and stays parked for a while. A thread of a backend
     * may park briefly on its own internal locks or futures; staying parked for 100 ms (scaled) is
     * taken to mean it waits for the resource.
     */
    final void awaitQueued(Background<?> waiter) {
        await(scaled(10_000)).during(scaled(100)).until(() -> {
            if (waiter.isDone()) {
                throw new AssertionError(waiter + " ended before it was queued; it should be waiting");
            }
            return waiter.isParked();
        });
    }

    /**
     * {@code client} takes the free {@code resource} with {@code lease} at once.
     *
     * @return {@link System#nanoTime()} read just before the call: the lease began no earlier
     */
    static long acquireFor(LockManager manager, String resource, String client, Duration lease) {
        long start = System.nanoTime();
        assertThat(manager.tryAcquire(resource, client, Duration.ZERO, lease))
                .as("tryAcquire of the free %s", resource)
                .isPresent();
        return start;
    }

    // ---- assertions ---------------------------------------------------------------------------

    /** The live holder, failing if there is none. */
    static LockInfo holder(LockManager manager, String resource) {
        Optional<LockInfo> info = manager.inspect(resource);
        assertThat(info).as("inspect(%s) of a held resource", resource).isPresent();
        return info.orElseThrow();
    }

    static void assertHeldBy(LockManager manager, String resource, String client) {
        assertThat(holder(manager, resource).clientId())
                .as("holder of %s", resource)
                .isEqualTo(client);
    }

    /**
     * U3, L4: a lock queued through {@code waiting} behind a holder on {@code holding} returns true
     * within {@code bound} of the holder's unlock.
     */
    final void assertUnlockWakesAQueuedLock(LockManager holding, LockManager waiting, Duration bound) {
        String resource = resource();
        String holder = client("holder");
        assertThat(holding.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiter =
                queuedLock(waiting, resource, client("waiter"), scaled(30_000).toMillis());
        long released = System.nanoTime();
        assertThat(holding.unlock(resource, holder)).isTrue();
        assertThat(waiter.result(bound)).isTrue();
        assertThat(Duration.ofNanos(waiter.finishedAtNanos() - released))
                .as("time from unlock to the waiter's return")
                .isLessThan(bound);
    }

    /**
     * L4: a lock waiting through {@code waiting} behind a holder on {@code holding} whose {@code
     * lease} runs out returns true within {@code promptness} after the expiry (slack included).
     *
     * @return how long after the holder's acquisition was sent the waiter returned
     */
    final Duration assertExpiryWakesALock(
            LockManager holding,
            LockManager waiting,
            String resource,
            String waiter,
            Duration lease,
            Duration promptness) {
        long start = acquireFor(holding, resource, client("holder"), lease);
        Background<Boolean> call =
                lockInBackground(waiting, resource, waiter, scaled(30_000).toMillis());
        Duration bound = effective(lease).plus(expirySlack()).plus(promptness);
        assertThat(call.result(bound)).isTrue();
        Duration took = Duration.ofNanos(call.finishedAtNanos() - start);
        assertThat(took)
                .as("time from acquisition of a %s lease to the waiter's return", lease)
                .isLessThanOrEqualTo(bound);
        return took;
    }

    /**
     * A refused or rejected call left the lock as it was: still {@code holder}'s, with the token of
     * {@code before}, and its lease not lengthened.
     */
    static void assertUnchanged(LockManager manager, String holder, LockInfo before) {
        LockInfo after = holder(manager, before.resourceId());
        assertThat(after.clientId())
                .as("holder after the refused call")
                .isEqualTo(holder)
                .isEqualTo(before.clientId());
        assertThat(after.fencingToken()).as("token after the refused call").isEqualTo(before.fencingToken());
        assertThat(after.remaining()).as("lease after the refused call").isLessThanOrEqualTo(before.remaining());
    }

    /** F1: each token larger than the one before it. */
    static void assertStrictlyIncreasing(List<Long> tokens) {
        for (int i = 1; i < tokens.size(); i++) {
            assertThat(tokens.get(i)).as("fencing token %d of %s", i, tokens).isGreaterThan(tokens.get(i - 1));
        }
    }

    static void assertFree(LockManager manager, String resource) {
        assertThat(manager.inspect(resource))
                .as("inspect(%s) of a free resource", resource)
                .isEmpty();
    }

    /**
     * Runs every check and reports all that failed at once, so one run shows every broken case.
     * JUnit's own grouping, rather than AssertJ's soft assertions, because those generate proxy
     * classes on first use, which costs seconds on a busy machine.
     */
    static void assertEach(String heading, List<Executable> checks) {
        assertAll(heading, checks.stream());
    }

    /** Asserts that {@code thrown} is a {@link LockException} carrying {@code error}. */
    static void assertLockError(Throwable thrown, LockError error) {
        assertThat(thrown).isInstanceOf(LockException.class);
        assertThat(((LockException) thrown).error()).as("error of %s", thrown).isEqualTo(error);
    }

    /** Runs {@code call}, which must throw a {@link LockException} carrying {@code error}. */
    static LockException assertThrowsLockError(LockError error, ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).as("expected LockException(%s)", error).isNotNull();
        assertLockError(thrown, error);
        return (LockException) thrown;
    }

    /** Asserts a remaining lease is at most the (rounded) lease and at least the lease less slack. */
    final void assertRemainingAbout(LockInfo info, Duration lease) {
        Duration upper = effective(lease).plusMillis(1);
        Duration lower = lease.minus(remainingTolerance());
        assertThat(info.remaining())
                .as("remaining lease of %s, expected about %s", info, lease)
                .isLessThanOrEqualTo(upper)
                .isPositive();
        if (!lower.isNegative()) {
            assertThat(info.remaining())
                    .as("remaining lease of %s, expected about %s", info, lease)
                    .isGreaterThanOrEqualTo(lower);
        }
    }
}
