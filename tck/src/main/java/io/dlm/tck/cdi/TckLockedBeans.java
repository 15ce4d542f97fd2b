package io.dlm.tck.cdi;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LockContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** The locked beans the CDI TCK deploys. Every resource takes a per-test id, so tests never meet. */
@ApplicationScoped
public class TckLockedBeans {

    private final AtomicInteger calls = new AtomicInteger();
    private int counter;

    @Inject
    LockContext lock;

    @Inject
    LockManager manager;

    @Inject
    TckNestedBean nested;

    /** For CDI's proxies. */
    public TckLockedBeans() {}

    /**
     * Increments a deliberately non-atomic counter (M1 through D2).
     *
     * @param id the test's resource id
     */
    @DistributedLock(resource = "tck-counter-{id}", timeout = 10, unit = ChronoUnit.MINUTES)
    public void increment(String id) {
        int read = counter;
        Thread.yield();
        counter = read + 1;
    }

    /**
     * Reads the counter.
     *
     * @return its value
     */
    public int counter() {
        return counter;
    }

    /**
     * Tries once for the lock and counts the calls that ran (D3).
     *
     * @param id the test's resource id
     * @return the fencing token of this call (F1)
     */
    @DistributedLock(resource = "tck-once-{id}")
    public long once(String id) {
        calls.incrementAndGet();
        return lock.fencingToken();
    }

    /**
     * How often {@link #once} ran.
     *
     * @return the number of calls that got the lock
     */
    public int calls() {
        return calls.get();
    }

    /**
     * Calls a second locked bean for the same resource on this thread (D3).
     *
     * @param id the test's resource id
     */
    @DistributedLock(resource = "tck-nested-{id}", timeout = 10, unit = ChronoUnit.MINUTES)
    public void nested(String id) {
        nested.sameResource(id);
    }

    /**
     * Releases its own lock while running, so the final release finds it gone (D4).
     *
     * @param id the test's resource id
     */
    @DistributedLock(resource = "tck-lost-{id}")
    public void loseLease(String id) {
        manager.unlock(lock.resourceId(), lock.clientId());
    }

    /**
     * Keeps the lock until the given stage completes (D2).
     *
     * @param id the test's resource id
     * @param pending completed by the test
     * @return the stage the caller waits on
     */
    @DistributedLock(resource = "tck-async-{id}")
    public CompletionStage<String> async(String id, CompletableFuture<String> pending) {
        return pending;
    }
}
