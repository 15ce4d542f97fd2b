package io.dlm.tck.selftest;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The state of one reference lock space, guarded by a single mutex with one condition. Simple on
 * purpose: every operation holds the mutex throughout, waiters queue per resource in arrival
 * order, and a release hands the lock to the head waiter directly, so a newcomer never finds a
 * gap to barge into. Each {@link Flaw} bends exactly one of these choices.
 */
final class LockSpace {

    /** A live or expired lease. Mutated only with the mutex held. */
    static final class Holder {
        final String client;
        final long token;
        final long leaseNanos;
        final Object owner;
        long deadline;

        Holder(String client, long token, long leaseNanos, Object owner, long now) {
            this.client = client;
            this.token = token;
            this.leaseNanos = leaseNanos;
            this.owner = owner;
            this.deadline = saturatedAdd(now, leaseNanos);
        }
    }

    /** A thread queued for a resource; {@code granted} is set when a release hands it the lock. */
    private static final class Waiter {
        final String client;
        final long leaseNanos;
        final Object owner;
        Holder granted;

        Waiter(String client, long leaseNanos, Object owner) {
            this.client = client;
            this.leaseNanos = leaseNanos;
            this.owner = owner;
        }
    }

    private static final long BARGING_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Flaw flaw;
    private final ReentrantLock mutex = new ReentrantLock();
    private final Condition changed = mutex.newCondition();
    private final Map<String, Holder> holders = new HashMap<>();
    private final Map<String, ArrayDeque<Waiter>> queues = new HashMap<>();
    private final Map<String, Long> lastTokens = new HashMap<>();
    private final Thread reaper;

    LockSpace(Flaw flaw) {
        this.flaw = flaw;
        if (flaw == Flaw.LAZY_EXPIRY) {
            reaper = new Thread(this::reap, "reference-reaper");
            reaper.setDaemon(true);
            reaper.start();
        } else {
            reaper = null;
        }
    }

    /**
     * Takes the resource, waiting up to {@code waitNanos}.
     *
     * @return the new holder, or {@code null} when the time ran out
     * @throws InterruptedException when interrupted while waiting; nothing is held then
     */
    Holder acquire(
            Object owner, String resource, String client, long waitNanos, long leaseNanos, BooleanSupplier closed)
            throws InterruptedException {
        mutex.lock();
        try {
            // Checked again under the mutex, so nothing is granted after closeOwner has run.
            if (closed.getAsBoolean()) {
                throw new IllegalStateException("lock manager is closed");
            }
            long now = System.nanoTime();
            long deadline = saturatedAdd(now, waitNanos);
            Holder current = live(resource, now);
            if (current != null && current.client.equals(client)) {
                if (flaw == Flaw.REENTRANT) {
                    return current;
                }
                throw heldByCaller(resource, client);
            }
            ArrayDeque<Waiter> queue = queues.get(resource);
            boolean nobodyQueued = queue == null || queue.isEmpty() || flaw == Flaw.BARGING;
            if (current == null && nobodyQueued) {
                return grant(resource, client, leaseNanos, owner, now);
            }
            if (waitNanos <= 0) {
                return null;
            }
            Waiter waiter = new Waiter(client, leaseNanos, owner);
            queues.computeIfAbsent(resource, r -> new ArrayDeque<>()).addLast(waiter);
            boolean acquired = false;
            try {
                Holder taken = awaitTurn(resource, waiter, deadline, closed);
                acquired = taken != null;
                return taken;
            } finally {
                if (!acquired) {
                    leave(resource, waiter);
                }
            }
        } finally {
            mutex.unlock();
        }
    }

    private Holder awaitTurn(String resource, Waiter waiter, long deadline, BooleanSupplier closed)
            throws InterruptedException {
        long nextLook = System.nanoTime();
        while (true) {
            if (closed.getAsBoolean()) {
                throw new LockException(LockError.INTERNAL_ERROR, "manager closed while waiting for " + resource);
            }
            if (waiter.granted != null) {
                return waiter.granted;
            }
            long now = System.nanoTime();
            long left = deadline - now;
            if (left > 0 && nextLook - now > 0) {
                // Only the flaws set a later look: a signal before it is ignored.
                changed.awaitNanos(Math.min(left, nextLook - now));
                continue;
            }
            Holder current = live(resource, now);
            if (current != null && current.client.equals(waiter.client)) {
                throw heldByCaller(resource, waiter.client);
            }
            ArrayDeque<Waiter> queue = queues.get(resource);
            if (current == null && (queue.peekFirst() == waiter || flaw == Flaw.BARGING)) {
                queue.remove(waiter);
                return grant(resource, waiter.client, waiter.leaseNanos, waiter.owner, now);
            }
            if (left <= 0) {
                return null;
            }
            if (flaw == Flaw.LOST_WAKEUP) {
                // The flaw: whatever happens meanwhile, look again only at the timeout.
                nextLook = deadline;
            } else if (flaw == Flaw.BARGING) {
                // The flaw: like a retry loop on an engine, look again every few milliseconds.
                nextLook = now + BARGING_POLL_NANOS;
            }
            boolean wakeAtExpiry = current != null && flaw != Flaw.LAZY_EXPIRY;
            changed.awaitNanos(wakeAtExpiry ? Math.min(left, current.deadline - now) : left);
        }
    }

    /** Removes a waiter that gave up; gives back a lock handed to it meanwhile (L5). */
    private void leave(String resource, Waiter waiter) {
        ArrayDeque<Waiter> queue = queues.get(resource);
        if (queue != null) {
            queue.remove(waiter);
            if (queue.isEmpty()) {
                queues.remove(resource);
            }
        }
        if (waiter.granted != null && holders.get(resource) == waiter.granted) {
            release(resource, waiter.granted);
        }
        changed.signalAll();
    }

    boolean unlock(String resource, String client) {
        mutex.lock();
        try {
            Holder current = live(resource, System.nanoTime());
            boolean mayRelease = current != null && (current.client.equals(client) || flaw == Flaw.UNLOCK_BY_ANYONE);
            if (mayRelease) {
                release(resource, current);
            }
            return mayRelease;
        } finally {
            mutex.unlock();
        }
    }

    boolean renew(String resource, String client) {
        mutex.lock();
        try {
            long now = System.nanoTime();
            Holder current = flaw == Flaw.REVIVES_EXPIRED ? holders.get(resource) : live(resource, now);
            if (current == null || !current.client.equals(client)) {
                return false;
            }
            current.deadline = saturatedAdd(now, current.leaseNanos);
            return true;
        } finally {
            mutex.unlock();
        }
    }

    Optional<LockInfo> inspect(String resource) {
        mutex.lock();
        try {
            long now = System.nanoTime();
            Holder current = live(resource, now);
            if (current == null) {
                return Optional.empty();
            }
            long remaining = Math.max(1, current.deadline - now);
            return Optional.of(new LockInfo(resource, current.client, current.token, Duration.ofNanos(remaining)));
        } finally {
            mutex.unlock();
        }
    }

    /** C1: releases what {@code owner} holds and wakes its waiters, which then see it closed. */
    void closeOwner(Object owner) {
        mutex.lock();
        try {
            for (Iterator<ArrayDeque<Waiter>> each = queues.values().iterator(); each.hasNext(); ) {
                ArrayDeque<Waiter> queue = each.next();
                queue.removeIf(waiter -> waiter.owner == owner && waiter.granted == null);
                if (queue.isEmpty()) {
                    each.remove();
                }
            }
            for (Map.Entry<String, Holder> entry : Map.copyOf(holders).entrySet()) {
                if (entry.getValue().owner == owner) {
                    release(entry.getKey(), entry.getValue());
                }
            }
            changed.signalAll();
        } finally {
            mutex.unlock();
        }
    }

    /** Stops the space's own thread, if the flaw gave it one. */
    void shutdown() {
        if (reaper != null) {
            reaper.interrupt();
            try {
                reaper.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Holder live(String resource, long now) {
        Holder holder = holders.get(resource);
        if (holder == null) {
            return null;
        }
        // E2: expired means free at once, unless the flaw leaves it to the reaper.
        boolean expired = holder.deadline - now <= 0;
        return expired && flaw != Flaw.LAZY_EXPIRY ? null : holder;
    }

    private Holder grant(String resource, String client, long leaseNanos, Object owner, long now) {
        long token = lastTokens.merge(resource, 1L, Long::sum);
        Holder holder = new Holder(client, token, leaseNanos, owner, now);
        holders.put(resource, holder);
        changed.signalAll();
        return holder;
    }

    /** Removes a holder and hands the lock to the longest waiter (L2), flaws permitting. */
    private void release(String resource, Holder holder) {
        holders.remove(resource, holder);
        if (flaw == Flaw.TOKENS_RESET) {
            lastTokens.remove(resource);
        }
        if (flaw == Flaw.LOST_WAKEUP) {
            return;
        }
        ArrayDeque<Waiter> queue = queues.get(resource);
        if (flaw != Flaw.BARGING && queue != null && !queue.isEmpty()) {
            Waiter next = queue.pollFirst();
            next.granted = grant(resource, next.client, next.leaseNanos, next.owner, System.nanoTime());
        }
        changed.signalAll();
    }

    private void reap() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                TimeUnit.SECONDS.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
            mutex.lock();
            try {
                long now = System.nanoTime();
                for (Map.Entry<String, Holder> entry : Map.copyOf(holders).entrySet()) {
                    if (entry.getValue().deadline - now <= 0) {
                        release(entry.getKey(), entry.getValue());
                    }
                }
                changed.signalAll();
            } finally {
                mutex.unlock();
            }
        }
    }

    private static LockException heldByCaller(String resource, String client) {
        return new LockException(LockError.RESOURCE_LOCKED, client + " already holds " + resource);
    }

    /**
     * A deadline {@code nanos} after {@code now}. Deadlines are only ever compared as {@code
     * deadline - now}, which stays exact through wrap-around as long as the span fits in half the
     * range; capping at that (about 146 years) is what makes {@code Long.MAX_VALUE} mean "forever".
     */
    static long saturatedAdd(long now, long nanos) {
        return now + Math.min(nanos, Long.MAX_VALUE / 2);
    }
}
