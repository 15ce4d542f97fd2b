package io.dlm.impl.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * <p>The wheel is split in stripes by resource, each with its own lock. An acquisition does not
 * take that lock: it pushes its new lease on the stripe's arrivals, a lock-free stack, and the
 * reaper files the arrivals at its next tick (or the pushing thread does, once {@link
 * #ARRIVALS_LIMIT} pushes came since the last filing, so that they never hold much memory). A lease
 * released before it was filed is simply dropped: by the next push on its stripe, when it is on
 * top, else when the arrivals are filed. So the common short hold never meets the lock, nor any
 * other wheel work on release; only a release of a lease already filed in a bucket takes it, to
 * unlink the node at once.
 *
 * <p>The arrivals of a stripe also issue the fencing tokens of its resources (F1): each push gives
 * the new lease the token of the stack's top plus one, in the same compare-and-set, and an emptied
 * stack keeps the last token in its bottom node. A stripe's tokens thus only grow, and a lease is
 * pushed inside the map's atomic step that installs it, so the tokens of one resource grow with its
 * acquisitions; each backend has its own wheel, so two lock spaces share no counter (C1).
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

    /**
     * Pushes on one stripe since its arrivals were last filed (an upper bound of how many wait)
     * above which the pushing thread files them itself.
     */
    static final int ARRIVALS_LIMIT = 256;

    /** The most released leases a push steps over, so that a push stays a constant-time step. */
    private static final int SKIPPED_PER_PUSH = 4;

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
     * The stripe of a resource: where its leases arrive and its tokens come from.
     *
     * @param resourceId the resource
     * @return its stripe, always the same one
     */
    Stripe stripeOf(String resourceId) {
        int h = resourceId.hashCode();
        return stripes[(h ^ (h >>> 16)) & mask];
    }

    /**
     * After an acquisition pushed its lease ({@link Stripe#push}), outside the map's atomic step:
     * files the stripe's arrivals on this thread when many wait.
     *
     * @param holding the lease just installed
     */
    void arrived(Holding holding) {
        Stripe stripe = holding.stripe;
        // Pushes since the last filing, the stepped-over ones included: at least the stack's depth.
        if (stripe != null && holding.fencingToken - stripe.filedUpTo >= ARRIVALS_LIMIT) {
            fileNow(stripe);
        }
    }

    /** Files a stripe's arrivals on the pushing thread, unless someone else is filing it. */
    private void fileNow(Stripe stripe) {
        // A method of its own: the push stays small enough to be inlined into the acquisition.
        if (stripe.lock.tryLock()) {
            try {
                stripe.fileArrivals(onEnded);
            } finally {
                stripe.lock.unlock();
            }
        }
    }

    /**
     * Takes a lease whose deadline was just ended out of its bucket, if it was filed; an unfiled
     * lease is dropped by the next push on its stripe when it is on top, else when its stripe's
     * arrivals are filed. Costs a lock only for a filed lease.
     *
     * @param holding the lease, already ended
     */
    void remove(Holding holding) {
        Stripe stripe = holding.stripe;
        if (stripe == null || !holding.isFiled()) {
            return;
        }
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
            if (stripe.size != 0 || !((Holding) ARRIVALS.getVolatile(stripe)).holdsNoLock()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Counts the leases on every stripe's arrivals; exact only while nothing runs concurrently.
     *
     * @return how many wait to be filed
     */
    int unfiledArrivals() {
        int count = 0;
        for (Stripe stripe : stripes) {
            for (Holding node = (Holding) ARRIVALS.getVolatile(stripe);
                    node != null && !node.holdsNoLock();
                    node = node.next) {
                count++;
            }
        }
        return count;
    }

    /**
     * The number of stripes, for tests.
     *
     * @return how many stripes the wheel has
     */
    int stripeCount() {
        return stripes.length;
    }

    /** Forgets every lease, filed or not: for a closed backend, whose leases nobody can reach. */
    void clear() {
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                stripe.takeArrivals();
                stripe.clear();
            } finally {
                stripe.lock.unlock();
            }
        }
    }

    /** One independently locked part of the wheel, with the lock-free arrivals of its resources. */
    static final class Stripe {
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
        /**
         * Top of the lock-free stack of leases not filed yet, linked by {@code next} down to a
         * bottom node ({@link Holding#arrivalsBottom}); never {@code null}.
         */
        volatile Holding arrivals = Holding.arrivalsBottom(0);
        /**
         * The last token when the arrivals were last taken; written under the lock, read without
         * it by pushers, whose count of pushes since (their token less this) a stale value only
         * makes larger.
         */
        volatile long filedUpTo;

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

        /**
         * Pushes a newly acquired lease, inside the map's atomic step that installs it, and gives it
         * its token (F1); lock-free.
         *
         * <p>Released leases on top of the stack (the short holds just before this one, most often)
         * are dropped by the same compare-and-set: a released lease needs nothing from the wheel,
         * its ender took it out of the map, and nobody else links to it. So a release of an unfiled
         * lease costs the wheel nothing, and the stack holds on to no ended lease.
         *
         * @param holding the lease, with its deadline set
         */
        void push(Holding holding) {
            for (; ; ) {
                Holding top = (Holding) ARRIVALS.getVolatile(this);
                // A pushed lease's link does not change while it is on the stack (a filer takes the
                // whole stack at once), so the released ones on top can be stepped over: the push
                // succeeds only if the top is still the one read, and with it everything below. A
                // link read after a filer took the stack may be cleared; that push then fails.
                Holding below = top;
                for (int i = 0; i < SKIPPED_PER_PUSH && below != null && below.deadline() == Holding.RELEASED; i++) {
                    below = below.next;
                }
                holding.next = below;
                // From the top, not from below it: a stepped-over lease's token counts too.
                holding.fencingToken = top.fencingToken + 1;
                if (ARRIVALS.compareAndSet(this, top, holding)) {
                    return;
                }
            }
        }

        /**
         * Takes the whole stack, leaving a bottom that keeps its last token.
         *
         * @return the old top; the taken leases run down from it to a bottom node
         */
        Holding takeArrivals() {
            for (; ; ) {
                Holding top = (Holding) ARRIVALS.getVolatile(this);
                if (top.holdsNoLock()) {
                    return top;
                }
                if (ARRIVALS.compareAndSet(this, top, Holding.arrivalsBottom(top.fencingToken))) {
                    filedUpTo = top.fencingToken;
                    return top;
                }
            }
        }

        /** Files the leases pushed since the last call; drops those that ended meanwhile. */
        int fileArrivals(Consumer<Holding> onEnded) {
            Holding node = takeArrivals();
            int removed = 0;
            int filed = 0;
            while (node != null && !node.holdsNoLock()) {
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
