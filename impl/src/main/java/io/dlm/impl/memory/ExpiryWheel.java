package io.dlm.impl.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A hierarchical timing wheel of leases, so that finding expired leases costs time in proportion
 * to them and not to the leases still held (E4).
 *
 * <p>Four levels of 64 buckets span about 134 ms, 8.6 s, 9.2 min and 9.8 h each; a lease sits in
 * the level whose span fits its remaining time, and moves down a level when its bucket comes due,
 * so each lease is touched a few times in its life however long it is held. A renewal does not
 * move the node: when its bucket comes due, the wheel finds the later deadline and files it again.
 *
 * <p>The wheel is split in stripes by resource, each with its own lock. An acquisition does not
 * take that lock: it pushes its new lease on the stripe's arrivals, a lock-free stack, and the
 * reaper files the arrivals at its next tick (or the pushing thread does, once a stripe has
 * {@link #ARRIVALS_LIMIT} waiting, so that they never hold much memory). A lease released before it
 * was filed is simply dropped then, so the common short hold never meets the lock; only a release
 * of a lease already filed in a bucket takes it, to unlink the node at once.
 *
 * <p>Filing and releasing meet like this: the release ends the deadline, then reads whether the
 * node is filed; the filer marks the node filed, then reads the deadline and unlinks it if it has
 * ended. Both are volatile accesses, so at least one side sees the other and the node never stays
 * filed after its release.
 */
final class ExpiryWheel {

    private static final int BUCKETS = 64;
    private static final int[] SHIFTS = {27, 33, 39, 45};
    private static final int LEVELS = SHIFTS.length;

    /** Arrivals on one stripe above which the pushing thread files them itself. */
    static final int ARRIVALS_LIMIT = 256;

    private static final VarHandle ARRIVALS;

    static {
        try {
            ARRIVALS = MethodHandles.lookup().findVarHandle(Stripe.class, "arrivals", Holding.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Stripe[] stripes;
    private final int mask;
    private final Consumer<Holding> onEnded;

    /**
     * Creates an empty wheel.
     *
     * @param now the current reading of the backend's ticker
     * @param onEnded called, under a stripe's lock, for each lease the wheel drops that ended
     *     without being taken out of the map by its ender (sealed, taken over, reaped)
     */
    ExpiryWheel(long now, Consumer<Holding> onEnded) {
        int count = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1) << 1;
        stripes = new Stripe[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Stripe(now);
        }
        mask = count - 1;
        this.onEnded = onEnded;
    }

    /**
     * Takes a newly acquired lease; lock-free unless its stripe has many arrivals waiting.
     *
     * @param holding the lease, not yet in the wheel
     */
    void add(Holding holding) {
        Stripe stripe = stripeOf(holding);
        for (; ; ) {
            Holding top = (Holding) ARRIVALS.getVolatile(stripe);
            holding.next = top;
            holding.arrivalDepth = top == null ? 1 : top.arrivalDepth + 1;
            if (ARRIVALS.compareAndSet(stripe, top, holding)) {
                break;
            }
        }
        if (holding.arrivalDepth >= ARRIVALS_LIMIT && stripe.lock.tryLock()) {
            try {
                stripe.fileArrivals(onEnded);
            } finally {
                stripe.lock.unlock();
            }
        }
    }

    /**
     * Takes a lease whose deadline was just ended out of its bucket, if it was filed; an unfiled
     * lease is dropped when its stripe's arrivals are filed. Costs a lock only for a filed lease.
     *
     * @param holding the lease, already ended
     */
    void remove(Holding holding) {
        if (!holding.isFiled()) {
            return;
        }
        Stripe stripe = stripeOf(holding);
        stripe.lock.lock();
        try {
            if (holding.isFiled()) {
                Stripe.unlink(holding);
                stripe.size--;
            }
        } finally {
            stripe.lock.unlock();
        }
    }

    /**
     * Files every stripe's arrivals, then advances it to {@code now}, handing each lease whose
     * bucket came due and whose deadline has passed to {@code onEnded}; leases renewed meanwhile
     * are filed again.
     *
     * @param now the current reading of the backend's ticker
     * @return how many leases left the wheel as expired, or ended and still to be removed from the map
     */
    int advance(long now) {
        int removed = 0;
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                removed += stripe.fileArrivals(onEnded);
                removed += stripe.advance(now, onEnded);
            } finally {
                stripe.lock.unlock();
            }
        }
        return removed;
    }

    /**
     * Tells whether no lease is filed or waiting to be; exact only when nothing runs concurrently,
     * which is all the reaper's idle check needs (it re-checks after announcing that it sleeps).
     *
     * @return whether every stripe is empty
     */
    boolean isEmpty() {
        for (Stripe stripe : stripes) {
            if (stripe.size != 0 || ARRIVALS.getVolatile(stripe) != null) {
                return false;
            }
        }
        return true;
    }

    /** Forgets every lease, filed or not: for a closed backend, whose leases nobody can reach. */
    void clear() {
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                ARRIVALS.setVolatile(stripe, null);
                stripe.clear();
            } finally {
                stripe.lock.unlock();
            }
        }
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
        /** Top of the lock-free stack of leases not filed yet, linked by {@code next}. */
        @Nullable
        volatile Holding arrivals;

        Stripe(long now) {
            origin = now;
            time = 0;
            for (Holding[] level : buckets) {
                for (int i = 0; i < BUCKETS; i++) {
                    level[i] = emptyBucket();
                }
            }
        }

        private static Holding emptyBucket() {
            Holding sentinel = new Holding();
            sentinel.previous = sentinel;
            sentinel.next = sentinel;
            return sentinel;
        }

        void clear() {
            for (Holding[] level : buckets) {
                for (int i = 0; i < BUCKETS; i++) {
                    level[i] = emptyBucket();
                }
            }
            size = 0;
        }

        /** Files the leases pushed since the last call; drops those that ended meanwhile. */
        int fileArrivals(Consumer<Holding> onEnded) {
            Holding node = (Holding) ARRIVALS.getAndSet(this, (Holding) null);
            int removed = 0;
            int filed = 0;
            while (node != null) {
                Holding following = node.next;
                node.next = null;
                int outcome = fileUnlessEnded(node, onEnded);
                if (outcome > 0) {
                    filed++;
                } else if (outcome < 0) {
                    removed++;
                }
                node = following;
            }
            size += filed;
            return removed;
        }

        /**
         * Files a node that has not ended, then looks at its deadline again: a release that ended
         * it meanwhile may have read it as not filed, so the node is taken out again here (see the
         * class comment). A node ended otherwise than by its release may still be in the map, so
         * it goes to {@code onEnded}.
         *
         * @return 1 when the node stays filed, 0 when it was released, -1 when it went to {@code onEnded}
         */
        private int fileUnlessEnded(Holding node, Consumer<Holding> onEnded) {
            long d = node.deadline();
            if (!Holding.isEnded(d)) {
                schedule(node);
                d = node.deadline();
                if (!Holding.isEnded(d)) {
                    return 1;
                }
                unlink(node);
            }
            if (d == Holding.RELEASED) {
                return 0; // its ender took it out of the map
            }
            onEnded.accept(node);
            return -1;
        }

        void schedule(Holding holding) {
            long deadline = holding.deadline() - origin;
            long delay = deadline - time;
            if (delay < 0) {
                // Already due (filed late, after a stall or from the arrivals): the bucket of the
                // current tick, which the next advance drains first.
                deadline = time;
                delay = 0;
            }
            int level = 0;
            while (level < LEVELS - 1 && delay >= (1L << SHIFTS[level + 1])) {
                level++;
            }
            Holding sentinel = buckets[level][(int) ((deadline >>> SHIFTS[level]) & (BUCKETS - 1))];
            Holding last = sentinel.previous;
            holding.next = sentinel;
            last.next = holding;
            sentinel.previous = holding;
            // Last, with a volatile store: from here a release sees the node as filed.
            holding.linkPrevious(last);
        }

        static void unlink(Holding holding) {
            Holding previous = holding.previous;
            Holding next = holding.next;
            if (previous != null && next != null) {
                previous.next = next;
                next.previous = previous;
            }
            holding.linkPrevious(null);
            holding.next = null;
        }

        int advance(long now, Consumer<Holding> onEnded) {
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
                    removed += drain(buckets[level][(int) ((previousTicks + i) & (BUCKETS - 1))], now, onEnded);
                }
            }
            return removed;
        }

        private int drain(Holding sentinel, long now, Consumer<Holding> onEnded) {
            // Detach the whole list first: entries filed again may land in this very bucket.
            Holding node = sentinel.next;
            sentinel.next = sentinel;
            sentinel.previous = sentinel;
            int removed = 0;
            int left = 0;
            while (node != sentinel && node != null) {
                Holding following = node.next;
                node.linkPrevious(null);
                node.next = null;
                left++;
                if (node.endIfExpired(now)) {
                    onEnded.accept(node);
                    removed++;
                } else {
                    int outcome = fileUnlessEnded(node, onEnded);
                    if (outcome > 0) {
                        left--;
                    } else if (outcome < 0) {
                        removed++;
                    }
                }
                node = following;
            }
            size -= left;
            return removed;
        }
    }
}
