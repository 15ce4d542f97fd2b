package io.dlm.backend.zookeeper;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What this process knows of the ZooKeeper leader's clock, the clock that measures leases (E3).
 *
 * <p>ZooKeeper stamps every write with the leader's wall time: a node's {@code mtime}. A lease ends
 * {@code leaseMillis} after the {@code mtime} of its last acquisition or renewal, by that same
 * clock, so no client's clock decides when a lock expires. Each write this backend makes reports
 * its stamp; this class keeps the latest and extrapolates from it with the local monotonic clock:
 * the leader's time now is at least the stamp plus the time passed here since the reply came
 * back (the write was stamped before the reply left the server). That lower bound is only used
 * to tell how long a lease has left, and so when to try again; a lease is taken over only when a
 * real stamp, not an extrapolation, has reached its end ({@link #latestStamp()}).
 *
 * <p>Assumes the leader's clock does not step backwards (NTP slews rather than steps) and that
 * the members of an ensemble agree within the tolerance the docs state; leadership changes hand
 * the stamping to another member's clock.
 */
final class ServerClock {

    /** The latest stamp and when its reply came back; replaced whole, read without locks. */
    private record Sample(long stampMillis, long receivedNanos) {}

    private volatile Sample latest = new Sample(Long.MIN_VALUE, 0);

    /** The highest stamp seen, kept apart: a sample that extrapolates further may hide it. */
    private final AtomicLong highestStamp = new AtomicLong(Long.MIN_VALUE);

    /**
     * Records the stamp of a write.
     *
     * @param stampMillis the {@code mtime} the write reported
     * @param receivedNanos {@link System#nanoTime()} when its reply came back
     */
    void observe(long stampMillis, long receivedNanos) {
        if (highestStamp.get() < stampMillis) {
            highestStamp.accumulateAndGet(stampMillis, Math::max);
        }
        Sample current = latest;
        if (current.stampMillis != Long.MIN_VALUE && estimate(current, receivedNanos) >= stampMillis) {
            return; // the sample we have already says as much; the common case takes no lock
        }
        synchronized (this) {
            current = latest;
            if (current.stampMillis == Long.MIN_VALUE || estimate(current, receivedNanos) < stampMillis) {
                latest = new Sample(stampMillis, receivedNanos);
            }
        }
    }

    /**
     * The highest stamp seen: a time the leader's clock has certainly reached.
     *
     * @return milliseconds, or {@link Long#MIN_VALUE} before the first write
     */
    long latestStamp() {
        return highestStamp.get();
    }

    /**
     * A lower bound of the leader's clock now.
     *
     * @param nowNanos {@link System#nanoTime()}
     * @return milliseconds, or {@link Long#MIN_VALUE} before the first write
     */
    long lowerBound(long nowNanos) {
        Sample sample = latest;
        return sample.stampMillis == Long.MIN_VALUE ? Long.MIN_VALUE : estimate(sample, nowNanos);
    }

    /**
     * How old the latest sample is.
     *
     * @param nowNanos {@link System#nanoTime()}
     * @return nanoseconds since its reply came back, {@link Long#MAX_VALUE} if there is none
     */
    long ageNanos(long nowNanos) {
        Sample sample = latest;
        return sample.stampMillis == Long.MIN_VALUE ? Long.MAX_VALUE : nowNanos - sample.receivedNanos;
    }

    private static long estimate(Sample sample, long nowNanos) {
        return sample.stampMillis + Math.max(0, nowNanos - sample.receivedNanos) / 1_000_000L;
    }
}
