package io.dlm.cdi;

import java.time.Duration;

/**
 * The effective settings of one intercepted method, worked out once at deployment from the
 * annotation and its config overrides (D2, D6), so that a call does one map lookup and nothing
 * it could have done earlier.
 *
 * @param operation {@code SimpleClassName#method}, for events and messages
 * @param resource the parsed resource template
 * @param waitTime how long to wait for the lock (saturated, V3)
 * @param lease the lease length (explicit, or rule E1 from the wait); the runtime keeps it alive
 *     every {@code dlm.heartbeat.interval}, by default a third of it (K1)
 * @param interruptOnLeaseLoss whether a lost lease interrupts the method (D4)
 * @param async whether the method returns a {@code CompletionStage} that keeps the lock
 * @param skip whether a lock not acquired skips the call instead of failing it (S1)
 * @param emptyResult what a skipped call returns (S1)
 * @param holdAtLeast how long after its acquisition the lock stays held at least (S2); zero
 *     releases it as the call ends
 */
record LockPlan(
        String operation,
        ResourceTemplate resource,
        Duration waitTime,
        Duration lease,
        boolean interruptOnLeaseLoss,
        boolean async,
        boolean skip,
        EmptyResult emptyResult,
        Duration holdAtLeast) {}
