package io.dlm.tck.selftest;

/** One deliberate bug of the reference backend, which the TCK must catch. */
enum Flaw {
    /** The correct reference. */
    NONE,
    /** {@code lock} by the holder returns {@code true} instead of failing (breaks L3). */
    REENTRANT,
    /** A heartbeat brings an expired lease back to life (breaks H2). */
    REVIVES_EXPIRED,
    /** Any client's unlock releases the lock (breaks U2). */
    UNLOCK_BY_ANYONE,
    /** A release wakes nobody; waiters notice only at their own timeout (breaks U3, L4). */
    LOST_WAKEUP,
    /** Fencing tokens start again after each release (breaks F1). */
    TOKENS_RESET,
    /**
     * No queue is honoured: a newcomer takes a free resource even with waiters queued, and waiters
     * look again every 5 ms, as a retry loop on an engine would (breaks L2).
     */
    BARGING,
    /** Expired leases keep blocking until a reaper runs every two seconds (breaks E2). */
    LAZY_EXPIRY,
    /** No argument is checked (breaks V1, V2). */
    NO_VALIDATION
}
