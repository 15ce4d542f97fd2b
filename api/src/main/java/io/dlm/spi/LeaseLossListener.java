package io.dlm.spi;

/**
 * Where a backend reports that its engine ended leases before their time (K3): a ZooKeeper
 * session expired, an etcd lease was revoked or not found. The runtime then reports those leases
 * lost at once instead of at their local deadline. Methods must be cheap and never block; they
 * may be called on any thread, and more than once for the same lease.
 */
public interface LeaseLossListener {

    /** A listener that ignores every report, for backends opened outside a runtime. */
    LeaseLossListener IGNORE = new LeaseLossListener() {
        @Override
        public void leaseLost(String resourceId, long fencingToken) {}

        @Override
        public void allLeasesLost() {}
    };

    /**
     * One acquisition is gone on the engine.
     *
     * @param resourceId the resource
     * @param fencingToken the token of the acquisition that ended
     */
    void leaseLost(String resourceId, long fencingToken);

    /** Every lease this backend instance holds is gone (for example its session ended). */
    void allLeasesLost();
}
