package io.dlm.spi;

import java.util.Map;

/**
 * What a manager's locks do, told by the runtime so that metrics (O1) and diagnostics are
 * recorded once, in one place, for every backend and for the interceptor alike. Backends never
 * call it.
 *
 * <p>The runtime calls it on the thread that did the work, right after the work: an observer
 * returns quickly, never blocks, never calls the manager, and throws nothing (what it throws is
 * dropped, so that no lock operation fails for an observer). An acquisition's hold ends exactly
 * once: by {@link #released}, by {@link #leaseLost}, or unseen when a lease nobody renews runs
 * out (the manager's {@link ObservedManager#heldNow} count stops counting it at its deadline).
 *
 * <p>Observers come from {@link Factory}s found with {@link java.util.ServiceLoader} when a
 * manager opens; a factory that cannot load (a metrics library missing from the class path) is
 * left out, and without any observer the runtime does no extra work.
 *
 * <p>An observer that throws, even an {@link Error} other than the JVM's own, is dropped for that
 * call only: lock operations and loss reports (K3) go on as if it had returned.
 */
public interface LockObserver {

    /** How a wait for a lock ended (O1 attribute {@code dlm.lock.outcome}). */
    enum WaitOutcome {
        /** The caller got the lock. */
        ACQUIRED,
        /** The wait ran out with the lock still held by another client. */
        TIMED_OUT,
        /** The wait ended with an exception: an engine failure, an interrupt, a close (X1, X2). */
        ERROR;

        /**
         * The value of the {@code dlm.lock.outcome} attribute (O1).
         *
         * @return {@code acquired}, {@code timed_out} or {@code error}
         */
        public String attributeValue() {
            return switch (this) {
                case ACQUIRED -> "acquired";
                case TIMED_OUT -> "timed_out";
                case ERROR -> "error";
            };
        }
    }

    /**
     * A call that asked for a lock stopped waiting: {@code lock}, {@code tryAcquire}, {@code
     * withLock} and the interceptor, whether they waited or found the lock free at once.
     *
     * @param resourceId the resource
     * @param clientId the client that asked
     * @param outcome how the wait ended
     * @param waitNanos how long the call took to get its answer, on the monotonic clock
     */
    default void waitEnded(String resourceId, String clientId, WaitOutcome outcome, long waitNanos) {}

    /**
     * An acquisition ended by a release that found it held ({@code unlock} returning {@code true},
     * a lease released).
     *
     * @param resourceId the resource
     * @param clientId the client that held it
     * @param fencingToken the acquisition's token (F1)
     * @param heldNanos how long it was held, from its grant to the release
     */
    default void released(String resourceId, String clientId, long fencingToken, long heldNanos) {}

    /**
     * A kept-alive lease was lost and its holder told so (K3).
     *
     * @param resourceId the resource
     * @param clientId the client that held it
     * @param fencingToken the acquisition's token (F1)
     * @param heldNanos how long it was held, from its grant to the report of its loss
     */
    default void leaseLost(String resourceId, String clientId, long fencingToken, long heldNanos) {}

    /**
     * The manager closed: nothing more will be observed, and the holds it had are over. An
     * observer lets go of what it registered for the manager (a metrics callback).
     */
    default void closed() {}

    /**
     * Opens an observer for each manager the runtime opens; registered in {@code
     * META-INF/services/io.dlm.spi.LockObserver$Factory}.
     */
    interface Factory {

        /**
         * An observer of one manager, or {@code null} for none.
         *
         * @param manager what is observed
         * @return the observer, or {@code null}
         */
        LockObserver observe(ObservedManager manager);
    }

    /**
     * The manager an observer observes.
     *
     * @param backend the backend's name ({@code dlm.backend}, O1 attribute {@code dlm.backend})
     * @param properties every setting the manager was opened with (E1a), for an observer's own
     *     {@code dlm.*} keys
     * @param heldNow how many acquisitions of this manager are held now (O1 {@code dlm.lock.held});
     *     cheap enough for a metrics callback, never a call to the engine
     */
    record ObservedManager(String backend, Map<String, String> properties, HeldCount heldNow) {

        /**
         * Copies the settings.
         *
         * @param backend the backend's name
         * @param properties the settings
         * @param heldNow the count of held acquisitions
         */
        public ObservedManager {
            properties = Map.copyOf(properties);
        }
    }

    /** The number of acquisitions a manager holds now. */
    @FunctionalInterface
    interface HeldCount {

        /**
         * The count now.
         *
         * @return how many acquisitions are held and not yet past their deadline
         */
        long get();
    }
}
