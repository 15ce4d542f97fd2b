package io.dlm.cdi;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LockContext;
import io.dlm.interceptor.WhenLocked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** Beans of the scheduled-job rules' tests (S1, S2). */
final class SkipAndHoldBeans {

    /** The resource every {@link Skipping} method locks, so that one lock held elsewhere blocks them all. */
    static final String SKIPPED = "skipped";

    /** How long {@link Holding}'s methods hold their lock at least, in milliseconds. */
    static final long HOLD_MILLIS = 1_500;

    private SkipAndHoldBeans() {}

    /** One method per kind of return value, each skipped when its lock is taken (S1). */
    @Singleton // tests read its fields; a client proxy would hide them
    @DistributedLock(resource = SKIPPED, whenLocked = WhenLocked.SKIP)
    static class Skipping {
        final AtomicInteger calls = new AtomicInteger();

        String text() {
            calls.incrementAndGet();
            return "ran";
        }

        Optional<String> optional() {
            calls.incrementAndGet();
            return Optional.of("ran");
        }

        OptionalInt optionalInt() {
            calls.incrementAndGet();
            return OptionalInt.of(1);
        }

        OptionalLong optionalLong() {
            calls.incrementAndGet();
            return OptionalLong.of(1);
        }

        OptionalDouble optionalDouble() {
            calls.incrementAndGet();
            return OptionalDouble.of(1);
        }

        CompletionStage<String> stage() {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture("ran");
        }

        CompletableFuture<String> future() {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture("ran");
        }

        int number() {
            calls.incrementAndGet();
            return 1;
        }

        long bigNumber() {
            calls.incrementAndGet();
            return 1;
        }

        double fraction() {
            calls.incrementAndGet();
            return 1;
        }

        boolean flag() {
            calls.incrementAndGet();
            return true;
        }

        char letter() {
            calls.incrementAndGet();
            return 'x';
        }

        void job() {
            calls.incrementAndGet();
        }

        /** Fails by default (D3), as any method without whenLocked. */
        @DistributedLock(resource = SKIPPED, timeout = 100)
        String failing() {
            calls.incrementAndGet();
            return "ran";
        }
    }

    /** Holds a resource and calls a skipping method for the same resource on this thread (S1, D3). */
    @ApplicationScoped
    static class NestedOuter {
        @Inject
        NestedInner inner;

        @DistributedLock(resource = "nested-skip")
        Optional<String> callInner() {
            return inner.run();
        }
    }

    @Singleton // tests read its fields; a client proxy would hide them
    static class NestedInner {
        final AtomicInteger calls = new AtomicInteger();

        // An hour's wait: only the nested-call detection lets the call end.
        @DistributedLock(resource = "nested-skip", timeout = 1, unit = ChronoUnit.HOURS, whenLocked = WhenLocked.SKIP)
        Optional<String> run() {
            calls.incrementAndGet();
            return Optional.of("ran");
        }
    }

    /** Short methods that keep their lock for {@link #HOLD_MILLIS} after acquiring it (S2). */
    @Singleton // tests read its fields; a client proxy would hide them
    static class Holding {
        final CompletableFuture<String> pending = new CompletableFuture<>();

        @Inject
        LockContext lock;

        @Inject
        LockManager manager;

        @DistributedLock(resource = "held", holdAtLeast = HOLD_MILLIS)
        long quick() {
            return lock.fencingToken();
        }

        @DistributedLock(resource = "held-throws", holdAtLeast = HOLD_MILLIS)
        void throwing() {
            throw new IllegalStateException("job failed");
        }

        @DistributedLock(resource = "held-async", holdAtLeast = HOLD_MILLIS)
        CompletionStage<String> async() {
            return pending;
        }

        /** Loses its lock to an outside unlock while it runs: D4 still reports it. */
        @DistributedLock(resource = "held-lost", holdAtLeast = HOLD_MILLIS)
        void losing() {
            manager.unlock(lock.resourceId(), lock.clientId());
        }
    }

    /** Annotated FAIL and without hold; config overrides turn both (D6). */
    @Singleton // tests read its fields; a client proxy would hide them
    static class Overridden {
        final AtomicInteger calls = new AtomicInteger();

        @DistributedLock(resource = "overridden", whenLocked = WhenLocked.FAIL)
        String run() {
            calls.incrementAndGet();
            return "ran";
        }
    }

    /** A negative hold fails the deployment (D5). */
    @ApplicationScoped
    static class NegativeHold {
        @DistributedLock(holdAtLeast = -1)
        void run() {}
    }
}
