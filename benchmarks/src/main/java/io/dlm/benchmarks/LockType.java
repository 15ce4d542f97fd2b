package io.dlm.benchmarks;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The in-memory implementations a benchmark can put under test, as a JMH {@code @Param}: DLM and
 * the JDK structures it is measured against. {@link Engine}'s {@code memory} engine opens three of
 * them as its DLM, PEER and RAW.
 */
public enum LockType {

    /** DLM's in-memory backend, opened with {@link LockManagers#inMemory()}. */
    DLM {
        @Override
        public LockTable create() {
            return new DlmTable(LockManagers.inMemory());
        }
    },

    /**
     * The cheapest lock table there is: {@code putIfAbsent} takes a key, {@code remove(key, value)}
     * frees it, and a heartbeat is a {@code get}. It never waits, never expires and issues no token.
     */
    CONCURRENT_HASH_MAP {
        @Override
        public LockTable create() {
            return new MapTable();
        }
    },

    /**
     * The least a lease table must do: a {@link ConcurrentHashMap} of holder-and-deadline objects,
     * where lock reads the clock and inserts, unlock reads the clock and ends a live lease with a
     * compare-and-set, and heartbeat reads the clock and moves a live deadline with a
     * compare-and-set. It has no expiry index, no waiting, no fencing and no argument checks, and
     * never takes over an expired lease, so it is a floor for DLM rather than a rival.
     */
    LEASE_MAP {
        @Override
        public LockTable create() {
            return new LeaseMapTable();
        }
    },

    /**
     * One non-fair {@link ReentrantLock} per key, found in a {@link ConcurrentHashMap}: the usual
     * in-process "lock by name". The holder is the calling thread; the client id is ignored.
     */
    REENTRANT_LOCK {
        @Override
        public LockTable create() {
            return new ReentrantLockTable(false);
        }
    },

    /**
     * As {@link #REENTRANT_LOCK} but fair, so that a release hands the lock to the longest waiter;
     * the JDK's counterpart of DLM's no-barging rule (L2), for handoff latency.
     */
    FAIR_REENTRANT_LOCK {
        @Override
        public LockTable create() {
            return new ReentrantLockTable(true);
        }
    };

    /**
     * Opens a fresh, empty table of this type.
     *
     * @return the table; close it when done
     */
    public abstract LockTable create();

    /** Passes every call straight to a {@link LockManager}; {@link Engine#dlm} opens it on any backend. */
    static final class DlmTable implements LockTable {
        private final LockManager manager;

        DlmTable(LockManager manager) {
            this.manager = manager;
        }

        @Override
        public boolean lock(String resourceId, String clientId, long timeoutMillis) {
            return manager.lock(resourceId, clientId, timeoutMillis);
        }

        @Override
        public boolean unlock(String resourceId, String clientId) {
            return manager.unlock(resourceId, clientId);
        }

        @Override
        public boolean heartbeat(String resourceId, String clientId) {
            return manager.heartbeat(resourceId, clientId);
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** Holders in a map from key to client id; the timeout is ignored (it never waits). */
    private static final class MapTable implements LockTable {
        private final ConcurrentHashMap<String, String> holders = new ConcurrentHashMap<>();

        @Override
        public boolean lock(String resourceId, String clientId, long timeoutMillis) {
            return holders.putIfAbsent(resourceId, clientId) == null;
        }

        @Override
        public boolean unlock(String resourceId, String clientId) {
            return holders.remove(resourceId, clientId);
        }

        @Override
        public boolean heartbeat(String resourceId, String clientId) {
            // The ids are the same String instances, so equals() stops at its identity check.
            return clientId.equals(holders.get(resourceId));
        }

        @Override
        public boolean waits() {
            return false;
        }

        @Override
        public void close() {
            holders.clear();
        }
    }

    /** Leases as holder and deadline, in a map from key to lease. */
    private static final class LeaseMapTable implements LockTable {
        private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();

        @Override
        public boolean lock(String resourceId, String clientId, long timeoutMillis) {
            // DLM's default lease: twice the timeout, at least one second (E1).
            long leaseNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(timeoutMillis) * 2, TimeUnit.SECONDS.toNanos(1));
            return leases.putIfAbsent(resourceId, new Lease(clientId, leaseNanos, System.nanoTime())) == null;
        }

        @Override
        public boolean unlock(String resourceId, String clientId) {
            Lease lease = leases.get(resourceId);
            return lease != null
                    && lease.clientId.equals(clientId)
                    && lease.endIfLive(System.nanoTime())
                    && leases.remove(resourceId, lease);
        }

        @Override
        public boolean heartbeat(String resourceId, String clientId) {
            Lease lease = leases.get(resourceId);
            return lease != null && lease.clientId.equals(clientId) && lease.renewIfLive(System.nanoTime());
        }

        @Override
        public boolean waits() {
            return false;
        }

        @Override
        public void close() {
            leases.clear();
        }
    }

    /** A holder and its deadline; the deadline changes only by compare-and-set. */
    private static final class Lease {
        private static final long ENDED = Long.MIN_VALUE;
        private static final VarHandle DEADLINE;

        static {
            try {
                DEADLINE = MethodHandles.lookup().findVarHandle(Lease.class, "deadline", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final String clientId;
        final long leaseNanos;

        private volatile long deadline;

        Lease(String clientId, long leaseNanos, long now) {
            this.clientId = clientId;
            this.leaseNanos = leaseNanos;
            this.deadline = now + leaseNanos;
        }

        boolean endIfLive(long now) {
            long current = deadline;
            return current != ENDED && current - now > 0 && DEADLINE.compareAndSet(this, current, ENDED);
        }

        boolean renewIfLive(long now) {
            long current = deadline;
            return current != ENDED && current - now > 0 && DEADLINE.compareAndSet(this, current, now + leaseNanos);
        }
    }

    /** A {@link ReentrantLock} per key, created on first use and kept. */
    private static final class ReentrantLockTable implements LockTable {
        private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
        private final Function<String, ReentrantLock> factory;

        ReentrantLockTable(boolean fair) {
            // Non-capturing lambdas: computeIfAbsent on a present key allocates nothing.
            this.factory = fair ? key -> new ReentrantLock(true) : key -> new ReentrantLock(false);
        }

        @Override
        public boolean lock(String resourceId, String clientId, long timeoutMillis) {
            ReentrantLock lock = locks.computeIfAbsent(resourceId, factory);
            if (timeoutMillis == 0) {
                // tryLock() barges even on a fair lock, as DLM's timeout 0 must not (L2); the
                // benchmarks that care about order always pass a timeout.
                return lock.tryLock();
            }
            try {
                return lock.tryLock(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + resourceId, e);
            }
        }

        @Override
        public boolean unlock(String resourceId, String clientId) {
            ReentrantLock lock = locks.get(resourceId);
            if (lock == null || !lock.isHeldByCurrentThread()) {
                return false;
            }
            lock.unlock();
            return true;
        }

        @Override
        public boolean heartbeat(String resourceId, String clientId) {
            ReentrantLock lock = locks.get(resourceId);
            return lock != null && lock.isHeldByCurrentThread();
        }

        @Override
        public void close() {
            locks.clear();
        }
    }
}
