package io.dlm;

import java.util.Optional;

/**
 * A campaign for leadership of one resource, returned by {@link LockManager#lead} (S3).
 *
 * <p>While it is open it tries to hold the resource's lock; while it holds it, the manager keeps
 * the lease alive (K1) and this campaigner is the leader. When the lease is lost the listener
 * hears {@link LeadershipListener#revoked} and the campaign starts again. At no instant do two
 * campaigners' leases overlap (M1), so leader work that checks {@link #isLeader()} (or the
 * lease's {@link Lease#isValid()}) before it acts, and hands the lease's {@link
 * Lease#fencingToken()} to what it writes, is never done by two leaders at once.
 *
 * <p>{@link #close()} resigns: the lock is released and the campaign stops.
 */
public interface Leadership extends AutoCloseable {

    /**
     * Tells, by the local clock, whether this campaigner certainly leads now (K2): it holds the
     * lock and its lease has not reached its local deadline. It turns {@code false} at the
     * deadline even before {@link LeadershipListener#revoked} is called, for instance in a process
     * that was paused past its lease.
     *
     * @return whether this campaigner leads now
     */
    boolean isLeader();

    /**
     * The lease held now, for its fencing token (M3).
     *
     * @return the lease while {@link #isLeader()} is {@code true}, else empty
     */
    Optional<Lease> current();

    /**
     * Resigns and stops campaigning: the lock is released if held (the listener then hears {@link
     * LeadershipListener#revoked} with {@link LockError#LOCK_NOT_HELD}), and no later election
     * happens. Returns once the campaign has stopped, or at the latest after twice {@code
     * dlm.operation.timeout} (an acquisition in flight, then the release), except when called from
     * the listener, which runs on the campaign's own thread. Idempotent.
     */
    @Override
    void close();
}
