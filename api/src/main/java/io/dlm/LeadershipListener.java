package io.dlm;

/**
 * Hears when a {@link Leadership} campaign wins and loses the lead (S3).
 *
 * <p>Calls for one campaign come from one thread, in order and never overlapping: {@code elected},
 * then {@code revoked}, then perhaps {@code elected} again with a new lease. Return promptly from
 * both: a {@code revoked} cannot be delivered while {@code elected} is still running. Do the leader's
 * work on the application's own threads, checking {@link Lease#isValid()} before each step. A
 * listener that throws is logged; the campaign goes on. Releasing the lease handed to {@code
 * elected} steps down: {@code revoked} follows, and the campaign goes on.
 */
public interface LeadershipListener {

    /**
     * This campaigner became the leader.
     *
     * @param lease the held lease, kept alive by the manager (K1) until it is lost or the campaign
     *     is closed; its {@link Lease#fencingToken()} is greater than every earlier leader's (F1)
     */
    void elected(Lease lease);

    /**
     * This campaigner is no longer the leader: its lease was lost (K3), or the campaign was closed
     * (resigned). After a loss the campaign tries again.
     *
     * @param cause a {@link LockException} with {@link LockError#LOCK_NOT_HELD} saying why
     */
    void revoked(LockException cause);
}
