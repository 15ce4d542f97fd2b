package io.dlm.spi;

/**
 * A backend whose engine tells it when a resource may have become free (a release or an expiry),
 * so that waiters wake without polling (L4): etcd watches, Redis pub/sub, PostgreSQL
 * {@code LISTEN/NOTIFY}, ZooKeeper watches.
 */
public interface WatchingLockBackend extends LockBackend {

    /**
     * Starts watching a resource. The runtime calls this before its first acquisition attempt
     * for a waiter, so a release between that attempt and the wait is not missed, and closes the
     * watch when the resource has no more waiters in this process (L5).
     *
     * @param resourceId the resource
     * @param onMaybeFree called, on any thread and without blocking, when the resource may be free;
     *     a spurious call is harmless
     * @return the registration, to close when done
     */
    Watch watch(String resourceId, Runnable onMaybeFree);

    /** A registration of {@link #watch}; closing it leaves nothing behind on the engine (L5). */
    interface Watch extends AutoCloseable {
        /** Stops the watch; idempotent, never throws. */
        @Override
        void close();
    }
}
