package io.dlm.impl.memory;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A hierarchical timing wheel of leases, so that finding expired leases costs time in proportion
 * to them and not to the leases still held (E4).
 *
 * <p>Four levels of 64 buckets span about 134 ms, 8.6 s, 9.2 min and 9.8 h each; a lease sits in
 * the level whose span fits its remaining time, and moves down a level when its bucket comes due,
 * so each lease is touched a few times in its life however long it is held. A renewal does not
 * move the node: when its bucket comes due, the wheel finds the later deadline and files it again.
 *
 * <p>The wheel is split in stripes by resource, each with its own lock, so that acquisitions and
 * releases of different resources rarely meet on a lock.
 */
final class ExpiryWheel {

    private static final int BUCKETS = 64;
    private static final int[] SHIFTS = {27, 33, 39, 45};
    private static final int LEVELS = SHIFTS.length;

    private final Stripe[] stripes;
    private final int mask;

    /**
     * Creates an empty wheel.
     *
     * @param now the current reading of the backend's ticker
     */
    ExpiryWheel(long now) {
        int count = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1) << 1;
        stripes = new Stripe[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Stripe(now);
        }
        mask = count - 1;
    }

    /**
     * Files a newly acquired lease.
     *
     * @param holding the lease, not yet in the wheel
     * @return whether the wheel was empty before, so that a sleeping reaper must be woken
     */
    boolean add(Holding holding) {
        Stripe stripe = stripeOf(holding);
        stripe.lock.lock();
        try {
            // Ended before it was filed (released by another thread of its client, or taken over
            // after a nanosecond lease): that thread's remove found nothing to unlink, so it must
            // not be filed now. Both sides pass this lock after the deadline's CAS.
            if (holding.deadline() == Holding.ENDED) {
                return false;
            }
            stripe.schedule(holding);
            return stripe.size++ == 0;
        } finally {
            stripe.lock.unlock();
        }
    }

    /**
     * Takes a released or replaced lease out of the wheel; harmless if it is not in it.
     *
     * @param holding the lease
     */
    void remove(Holding holding) {
        Stripe stripe = stripeOf(holding);
        stripe.lock.lock();
        try {
            if (holding.scheduled) {
                Stripe.unlink(holding);
                stripe.size--;
            }
        } finally {
            stripe.lock.unlock();
        }
    }

    /**
     * Advances every stripe to {@code now}, handing each lease whose bucket came due and whose
     * deadline has passed to {@code onExpired}; leases renewed meanwhile are filed again.
     *
     * @param now the current reading of the backend's ticker
     * @param onExpired called for each expired lease, under the stripe's lock
     * @return how many leases left the wheel as expired or ended
     */
    int advance(long now, Consumer<Holding> onExpired) {
        int removed = 0;
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                removed += stripe.advance(now, onExpired);
            } finally {
                stripe.lock.unlock();
            }
        }
        return removed;
    }

    /**
     * Tells whether no lease is filed; exact only when nothing runs concurrently, which is all the
     * reaper's idle check needs (it re-checks after announcing that it sleeps).
     *
     * @return whether every stripe is empty
     */
    boolean isEmpty() {
        for (Stripe stripe : stripes) {
            if (stripe.size != 0) {
                return false;
            }
        }
        return true;
    }

    private Stripe stripeOf(Holding holding) {
        int h = holding.resourceId.hashCode();
        return stripes[(h ^ (h >>> 16)) & mask];
    }

    /** One independently locked part of the wheel. */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        final Holding[][] buckets = new Holding[LEVELS][BUCKETS];
        /**
         * The ticker reading the wheel started at. Buckets are computed from readings minus this
         * origin, which stay positive for centuries, because raw readings may cross zero, where
         * unsigned tick arithmetic would skip buckets.
         */
        final long origin;
        /** Nanoseconds since the origin the stripe was last advanced to; guarded by the lock. */
        long time;
        /** Filed leases; written under the lock, read without it by the reaper's idle check. */
        volatile int size;

        Stripe(long now) {
            origin = now;
            time = 0;
            for (Holding[] level : buckets) {
                for (int i = 0; i < BUCKETS; i++) {
                    Holding sentinel = new Holding();
                    sentinel.previous = sentinel;
                    sentinel.next = sentinel;
                    level[i] = sentinel;
                }
            }
        }

        void schedule(Holding holding) {
            long deadline = holding.deadline() - origin;
            long delay = deadline - time;
            int level = 0;
            while (level < LEVELS - 1 && delay >= (1L << SHIFTS[level + 1])) {
                level++;
            }
            Holding sentinel = buckets[level][(int) ((deadline >>> SHIFTS[level]) & (BUCKETS - 1))];
            Holding last = sentinel.previous;
            holding.previous = last;
            holding.next = sentinel;
            last.next = holding;
            sentinel.previous = holding;
            holding.scheduled = true;
        }

        static void unlink(Holding holding) {
            Holding previous = holding.previous;
            Holding next = holding.next;
            if (previous != null && next != null) {
                previous.next = next;
                next.previous = previous;
            }
            holding.previous = null;
            holding.next = null;
            holding.scheduled = false;
        }

        int advance(long now, Consumer<Holding> onExpired) {
            long previousTime = time;
            long elapsed = now - origin;
            if (elapsed - previousTime <= 0) {
                return 0;
            }
            time = elapsed;
            int removed = 0;
            for (int level = 0; level < LEVELS; level++) {
                long previousTicks = previousTime >>> SHIFTS[level];
                long ticks = elapsed >>> SHIFTS[level];
                long delta = ticks - previousTicks;
                if (delta <= 0) {
                    break;
                }
                int count = (int) Math.min(delta + 1, BUCKETS);
                for (int i = 0; i < count; i++) {
                    removed += drain(buckets[level][(int) ((previousTicks + i) & (BUCKETS - 1))], now, onExpired);
                }
            }
            return removed;
        }

        private int drain(Holding sentinel, long now, Consumer<Holding> onExpired) {
            // Detach the whole list first: entries filed again may land in this very bucket.
            Holding node = sentinel.next;
            sentinel.next = sentinel;
            sentinel.previous = sentinel;
            int removed = 0;
            while (node != sentinel && node != null) {
                Holding following = node.next;
                node.previous = null;
                node.next = null;
                node.scheduled = false;
                if (node.endIfExpired(now)) {
                    onExpired.accept(node);
                    removed++;
                } else {
                    schedule(node);
                }
                node = following;
            }
            size -= removed;
            return removed;
        }
    }
}
