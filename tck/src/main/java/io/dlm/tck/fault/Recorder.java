package io.dlm.tck.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The fault tier's way of recording (SPEC "Faults") for a backend's own fault tests outside {@link
 * LockManagerFaultTck} (a cluster member isolated, a leader killed): every acquisition, release and
 * critical section goes into a {@link History} that {@link HistoryChecker} judges, each write
 * through a {@link FencedStore}, and the timeline is kept under {@code target/fault-histories/},
 * passed or failed.
 */
public final class Recorder {

    private static final Path HISTORIES = Path.of("target", "fault-histories");

    private final History history;
    private final FencedStore store = new FencedStore();

    /**
     * A recorder with an empty history.
     *
     * @param testName names the history and its timeline file, e.g. {@code Class.method}
     */
    public Recorder(String testName) {
        history = new History(testName);
    }

    /**
     * The history, for {@link HistoryChecker} and for operations recorded by hand.
     *
     * @return the history this recorder writes to
     */
    public History history() {
        return history;
    }

    /**
     * {@code tryAcquire}, recorded with its outcome and token.
     *
     * @param manager the manager to acquire through
     * @param process the client id, and the process the history names
     * @param resource the resource
     * @param wait how long to wait
     * @param lease the lease to ask for
     * @return the lease, if acquired
     */
    public Optional<Lease> acquire(
            LockManager manager, String process, String resource, Duration wait, Duration lease) {
        History.Op op = history.call(process, "acquire", resource);
        try {
            Optional<Lease> acquired = manager.tryAcquire(resource, process, wait, lease);
            if (acquired.isPresent()) {
                op.ok(History.ACQUIRED, acquired.get().fencingToken());
            } else {
                op.ok("not acquired");
            }
            return acquired;
        } catch (RuntimeException e) {
            op.failed(e);
            throw e;
        }
    }

    /**
     * {@link #acquire} as a caller does after a fault: an {@code INTERNAL_ERROR} (a connection still
     * being replaced, X1) is retried, each try recorded, until {@code within} has passed.
     *
     * @param manager the manager to acquire through
     * @param process the client id, and the process the history names
     * @param resource the resource
     * @param within how long to keep trying, each try waiting for what is left of it
     * @param lease the lease to ask for
     * @return the lease, if acquired
     * @throws InterruptedException if interrupted between tries
     */
    public Optional<Lease> acquireRetrying(
            LockManager manager, String process, String resource, Duration within, Duration lease)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        for (; ; ) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            try {
                return acquire(manager, process, resource, left, lease);
            } catch (LockException e) {
                if (e.error() != LockError.INTERNAL_ERROR || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /**
     * A contender's turn (M1, N1): {@link #acquire}, then, once it holds the lock, kept alive, a
     * {@link #section} every 20 ms for {@code writing} or until its lease is no longer valid. It
     * writes as soon as it holds the lock, so a grant that came while an earlier holder still
     * believed itself valid shows as overlapping critical sections.
     *
     * @param manager the manager to acquire through
     * @param process the client id, and the process the history names
     * @param resource the resource
     * @param wait how long to wait
     * @param lease the lease to ask for
     * @param writing how long to keep writing once it holds the lock
     * @return the lease, if acquired
     * @throws InterruptedException if interrupted between sections
     */
    public Optional<Lease> acquireAndWrite(
            LockManager manager, String process, String resource, Duration wait, Duration lease, Duration writing)
            throws InterruptedException {
        Optional<Lease> won = acquire(manager, process, resource, wait, lease);
        if (won.isPresent()) {
            Lease mine = won.get().keepAlive();
            long until = System.nanoTime() + writing.toNanos();
            while (System.nanoTime() - until < 0 && section(process, mine)) {
                Thread.sleep(20);
            }
        }
        return won;
    }

    /**
     * {@code Lease.release()}, recorded.
     *
     * @param process the process the history names
     * @param lease the lease to release
     * @return what {@code release()} returned
     */
    public boolean release(String process, Lease lease) {
        return recorded(process, "release", lease, Lease::release);
    }

    /**
     * {@code Lease.renew()}, recorded.
     *
     * @param process the process the history names
     * @param lease the lease to renew
     * @return what {@code renew()} returned
     */
    public boolean renew(String process, Lease lease) {
        return recorded(process, "renew", lease, Lease::renew);
    }

    /** A call on a lease that answers yes or no: recorded with its answer and the lease's token, or what it threw. */
    private boolean recorded(String process, String action, Lease lease, Predicate<Lease> call) {
        History.Op op = history.call(process, action, lease.resourceId());
        try {
            boolean answer = call.test(lease);
            op.ok(Boolean.toString(answer), lease.fencingToken());
            return answer;
        } catch (RuntimeException e) {
            op.failed(e);
            throw e;
        }
    }

    /**
     * A write through the fenced store, outside a recorded critical section: e.g. one a resumed
     * holder's stale token carries (M3, N2).
     *
     * @param resource the resource the write is for
     * @param token the fencing token it carries
     * @return whether the store accepted it
     */
    public boolean write(String resource, long token) {
        return store.write(resource, token);
    }

    /**
     * A careful holder's critical section: it checks its lease, writes with its token only if
     * valid, and checks again.
     *
     * @param process the process the history names
     * @param lease the lease whose token the write carries
     * @return whether the lease was valid at both checks
     */
    public boolean section(String process, Lease lease) {
        boolean before = lease.isValid();
        long beforeReturned = System.nanoTime();
        boolean accepted = before && store.write(lease.resourceId(), lease.fencingToken());
        long afterCalled = System.nanoTime();
        boolean after = lease.isValid();
        history.section(
                process,
                lease.resourceId(),
                lease.fencingToken(),
                before,
                beforeReturned,
                accepted,
                after,
                afterCalled);
        return before && after;
    }

    /**
     * Runs a call that must fail with {@code INTERNAL_ERROR}, with the engine's failure attached,
     * within {@code bound} (X1), and notes how long it took.
     *
     * @param what the call, for the messages and the note
     * @param call the call
     * @param bound how long it may take, slack for a loaded machine included
     */
    public void assertFailsWithin(String what, Runnable call, Duration bound) {
        long start = System.nanoTime();
        try {
            call.run();
            fail(what + " returned instead of failing with INTERNAL_ERROR");
        } catch (LockException e) {
            assertThat(e.error()).as(what).isEqualTo(LockError.INTERNAL_ERROR);
            assertThat(e.getCause())
                    .as(what + ": the engine's failure is attached (X1)")
                    .isNotNull();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        note(what + " failed after " + took.toMillis() + " ms");
        assertThat(took).as("X1: " + what + " fails in time").isLessThanOrEqualTo(bound);
    }

    /**
     * Adds a note, e.g. the start of a fault, to the timeline.
     *
     * @param text the note
     */
    public void note(String text) {
        history.note(text);
    }

    /**
     * When the last recorded acquisition of {@code resource} by {@code process} returned.
     *
     * @param resource the resource
     * @param process the process
     * @return its {@code System.nanoTime()}
     */
    public long acquiredAt(String resource, String process) {
        return history.events().stream()
                .filter(e -> e.process().equals(process) && e.resource().equals(resource))
                .filter(e -> "acquire".equals(e.action()) && History.ACQUIRED.equals(e.outcome()))
                .mapToLong(History.Event::returnedAt)
                .max()
                .orElseThrow(() -> new AssertionError(process + " has no recorded acquisition of " + resource));
    }

    /** Writes the timeline under {@code target/fault-histories/}. */
    public void keepTimeline() {
        try {
            history.writeTimeline(HISTORIES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
