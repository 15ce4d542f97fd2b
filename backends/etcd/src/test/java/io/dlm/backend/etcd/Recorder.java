package io.dlm.backend.etcd;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.tck.fault.FencedStore;
import io.dlm.tck.fault.History;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The fault tier's way of recording (SPEC "Faults"), for the etcd module's own cluster tests: every
 * acquisition, release and critical section goes into a {@link History} that {@link
 * io.dlm.tck.fault.HistoryChecker} judges, each write through a {@link FencedStore}, and the
 * timeline is kept under {@code target/fault-histories/}, passed or failed.
 */
final class Recorder {

    private static final Path HISTORIES = Path.of("target", "fault-histories");

    final History history;
    final FencedStore store = new FencedStore();

    Recorder(String testName) {
        history = new History(testName);
    }

    /** {@code tryAcquire}, recorded with its outcome and token. */
    Optional<Lease> acquire(LockManager manager, String process, String resource, Duration wait, Duration lease) {
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

    /** {@code Lease.release()}, recorded. */
    boolean release(String process, Lease lease) {
        History.Op op = history.call(process, "release", lease.resourceId());
        try {
            boolean released = lease.release();
            op.ok(Boolean.toString(released), lease.fencingToken());
            return released;
        } catch (RuntimeException e) {
            op.failed(e);
            throw e;
        }
    }

    /**
     * A careful holder's critical section: it checks its lease, writes with its token only if
     * valid, and checks again.
     *
     * @return whether the lease was valid at both checks
     */
    boolean section(String process, Lease lease) {
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

    void note(String text) {
        history.note(text);
    }

    /** When the last recorded acquisition of {@code resource} by {@code process} returned. */
    long acquiredAt(String resource, String process) {
        return history.events().stream()
                .filter(e -> e.process().equals(process) && e.resource().equals(resource))
                .filter(e -> "acquire".equals(e.action()) && History.ACQUIRED.equals(e.outcome()))
                .mapToLong(History.Event::returnedAt)
                .max()
                .orElseThrow(() -> new AssertionError(process + " has no recorded acquisition of " + resource));
    }

    /** Writes the timeline under {@code target/fault-histories/}. */
    void keepTimeline() {
        try {
            history.writeTimeline(HISTORIES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
