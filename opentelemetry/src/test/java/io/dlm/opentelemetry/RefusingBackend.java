package io.dlm.opentelemetry;

import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Acquisition;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;

/** The in-memory engine, refusing renewals (a lease is lost) or failing acquisitions once told to. */
final class RefusingBackend extends ForwardingLockBackend {
    volatile boolean refuseRenewals;
    volatile boolean failAcquisitions;

    RefusingBackend() {
        super(new MemoryLockBackend(Ticker.system()));
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        if (failAcquisitions) {
            throw new IllegalStateException("the engine is down (test)");
        }
        return super.acquire(resourceId, clientId, leaseNanos, attempt);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        return !refuseRenewals && super.renew(resourceId, clientId, fencingToken);
    }
}
