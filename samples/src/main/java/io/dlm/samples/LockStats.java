package io.dlm.samples;

import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockWaitTimedOut;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/** Counts what the interceptor reports through CDI events. */
@ApplicationScoped
public class LockStats {

    final AtomicLong acquired = new AtomicLong();
    final AtomicLong released = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong lost = new AtomicLong();
    final LongAccumulator minToken = new LongAccumulator(Math::min, Long.MAX_VALUE);
    final LongAccumulator maxToken = new LongAccumulator(Math::max, Long.MIN_VALUE);

    /** For CDI. */
    public LockStats() {}

    void onAcquired(@Observes LockAcquired event) {
        acquired.incrementAndGet();
        minToken.accumulate(event.fencingToken());
        maxToken.accumulate(event.fencingToken());
    }

    void onReleased(@Observes LockReleased event) {
        released.incrementAndGet();
    }

    void onTimedOut(@Observes LockWaitTimedOut event) {
        timedOut.incrementAndGet();
    }

    void onLost(@Observes LeaseLost event) {
        lost.incrementAndGet();
    }

    /**
     * A snapshot of the counts.
     *
     * @return acquired, released, timed out, lost, lowest and highest token
     */
    public long[] snapshot() {
        return new long[] {acquired.get(), released.get(), timedOut.get(), lost.get(), minToken.get(), maxToken.get()};
    }
}
