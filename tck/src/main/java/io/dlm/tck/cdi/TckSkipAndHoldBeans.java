package io.dlm.tck.cdi;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LockContext;
import io.dlm.interceptor.WhenLocked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The beans of the CDI TCK's scheduled-job rules (S1, S2). Every resource takes a per-test id, so
 * tests never meet.
 */
@ApplicationScoped
public class TckSkipAndHoldBeans {

    /** How long {@link #held} keeps its lock at least, in milliseconds (S2). */
    public static final long HOLD_MILLIS = 1_500;

    private final AtomicInteger calls = new AtomicInteger();

    @Inject
    LockContext lock;

    /** For CDI's proxies. */
    public TckSkipAndHoldBeans() {}

    /**
     * Skipped when its lock is taken (S1).
     *
     * @param id the test's resource id
     * @return "ran" when it ran
     */
    @DistributedLock(resource = "tck-skip-{id}", whenLocked = WhenLocked.SKIP)
    public String text(String id) {
        calls.incrementAndGet();
        return "ran";
    }

    /**
     * Skipped when its lock is taken (S1).
     *
     * @param id the test's resource id
     * @return "ran" when it ran
     */
    @DistributedLock(resource = "tck-skip-{id}", whenLocked = WhenLocked.SKIP)
    public Optional<String> optional(String id) {
        calls.incrementAndGet();
        return Optional.of("ran");
    }

    /**
     * Skipped when its lock is taken (S1).
     *
     * @param id the test's resource id
     * @return 1 when it ran
     */
    @DistributedLock(resource = "tck-skip-{id}", whenLocked = WhenLocked.SKIP)
    public int number(String id) {
        calls.incrementAndGet();
        return 1;
    }

    /**
     * Skipped when its lock is taken (S1).
     *
     * @param id the test's resource id
     * @return true when it ran
     */
    @DistributedLock(resource = "tck-skip-{id}", whenLocked = WhenLocked.SKIP)
    public boolean flag(String id) {
        calls.incrementAndGet();
        return true;
    }

    /**
     * Skipped when its lock is taken (S1).
     *
     * @param id the test's resource id
     * @return a stage of "ran" when it ran
     */
    @DistributedLock(resource = "tck-skip-{id}", whenLocked = WhenLocked.SKIP)
    public CompletionStage<String> stage(String id) {
        calls.incrementAndGet();
        return CompletableFuture.completedFuture("ran");
    }

    /**
     * How often the skipping methods ran.
     *
     * @return the number of calls that got the lock
     */
    public int calls() {
        return calls.get();
    }

    /**
     * Returns at once and keeps its lock for {@link #HOLD_MILLIS} after acquiring it (S2).
     *
     * @param id the test's resource id
     * @return the fencing token of this call (F1)
     */
    @DistributedLock(resource = "tck-held-{id}", holdAtLeast = HOLD_MILLIS)
    public long held(String id) {
        return lock.fencingToken();
    }
}
