package io.dlm.impl;

import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;

/** The in-memory engine, refusing renewals once told to: a kept-alive lease is then lost (K3). */
final class RenewalsRefused extends ForwardingLockBackend {

    /** Set to make every renewal from then on answer "not held". */
    volatile boolean refuse;

    /** A fresh in-memory engine on the system clock, renewing as usual until told otherwise. */
    RenewalsRefused() {
        super(new MemoryLockBackend(Ticker.system()));
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        return !refuse && super.renew(resourceId, clientId, fencingToken);
    }
}
