package io.dlm.benchmarks;

/**
 * The few calls the benchmarks make, so that DLM and its baselines sit behind one interface.
 *
 * <p>Each JMH fork runs one {@link LockType}, so every call site sees a single implementation and
 * the JIT inlines through this interface; the adapter costs nothing in the measurement.
 */
public interface LockTable extends AutoCloseable {

    /**
     * Takes {@code resourceId} for {@code clientId}, waiting up to {@code timeoutMillis}.
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
     */
    boolean heartbeat(String resourceId, String clientId);

    /** Frees the table and anything it started. */
    @Override
    void close();
}
