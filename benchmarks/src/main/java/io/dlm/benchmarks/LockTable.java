package io.dlm.benchmarks;

/**
 * The few calls the benchmarks make, so that DLM, its peers and its baselines sit behind one
 * interface: the memory tables of {@link LockType}, and on every engine the implementations an
 * {@link Engine} opens.
 *
 * <p>Each JMH fork runs one implementation, so every call site sees a single class and the JIT
 * inlines through this interface; the adapter costs nothing in the measurement.
 */
public interface LockTable extends AutoCloseable {

    /**
     * Takes {@code resourceId} for {@code clientId}, waiting up to {@code timeoutMillis} where it
     * {@link #waits()}.
     *
     * @param resourceId the key
     * @param clientId the would-be holder
     * @param timeoutMillis {@code 0} tries once
     * @return whether the caller now holds the key
     */
    boolean lock(String resourceId, String clientId, long timeoutMillis);

    /**
     * Releases {@code resourceId} if {@code clientId} holds it.
     *
     * @param resourceId the key
     * @param clientId the holder
     * @return whether a hold of this client ended
     */
    boolean unlock(String resourceId, String clientId);

    /**
     * Confirms (and for DLM extends) the hold of {@code clientId} on {@code resourceId}.
     *
     * @param resourceId the key
     * @param clientId the holder
     * @return whether the client holds the key
     * @throws UnsupportedOperationException if the implementation has no such call
     */
    default boolean heartbeat(String resourceId, String clientId) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no heartbeat");
    }

    /**
     * Whether {@link #lock} waits up to its timeout for a held resource; where not, it tries once
     * whatever the timeout, and {@link HandoffBenchmark} refuses the implementation.
     *
     * @return whether a lock call can wait
     */
    default boolean waits() {
        return true;
    }

    /**
     * Whether a release goes to a client already waiting in {@link #lock} before the releasing
     * client, asking again at once, can take it back: true for DLM within one manager (L2) and for
     * fair or queue-based locks, false where a newcomer may overtake a waiter. {@link
     * HandoffBenchmark} waits for the other thread to take the lock where this is false.
     *
     * @return whether waiters are served before newcomers
     */
    default boolean fifo() {
        return true;
    }

    /** Frees the table and anything it started. */
    @Override
    void close();
}
