package io.dlm.impl;

import io.dlm.Lease;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The runtime's {@link Lease}: a single-use handle of one acquisition (A1).
 *
 * <p>Once it has released (or found its lock gone on release), it stays spent: a later
 * {@link #release()} or {@link #renew()} returns {@code false} without touching the backend. A
 * handle whose lease expired without a release still acts by resource and client, as the contract
 * defines it; a client that re-acquires the resource should use a fresh client id or the new
 * handle.
 */
final class DefaultLease implements Lease {

    private final DefaultLockManager manager;
    private final String resourceId;
    private final String clientId;
    private final long fencingToken;
    private final AtomicBoolean spent = new AtomicBoolean();

    DefaultLease(DefaultLockManager manager, String resourceId, String clientId, long fencingToken) {
        this.manager = manager;
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.fencingToken = fencingToken;
    }

    @Override
    public String resourceId() {
        return resourceId;
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public boolean renew() {
        manager.ensureOpen();
        return !spent.get() && manager.heartbeat(resourceId, clientId);
    }

    @Override
    public boolean release() {
        manager.ensureOpen();
        if (!spent.compareAndSet(false, true)) {
            return false;
        }
        try {
            return manager.unlock(resourceId, clientId);
        } catch (RuntimeException e) {
            // The release may be retried (U4): the handle is not spent until it got an answer.
            spent.set(false);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            release();
        } catch (IllegalStateException closed) {
            // The manager closed (C1): its locks are released or expire; nothing to do here.
        }
    }

    @Override
    public String toString() {
        return "Lease[" + resourceId + " held by " + clientId + ", token " + fencingToken + "]";
    }
}
