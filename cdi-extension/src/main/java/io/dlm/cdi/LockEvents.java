package io.dlm.cdi;

import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockEvent;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockSkipped;
import io.dlm.interceptor.LockWaitTimedOut;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Fires the interceptor's events to CDI observers (D4). A type nobody observes is skipped without
 * touching CDI; an observer that throws is logged and cannot change the lock's outcome.
 */
@Singleton
public class LockEvents {

    private final Event<LockEvent> events;
    private final boolean acquired;
    private final boolean released;
    private final boolean lost;
    private final boolean timedOut;
    private final boolean skipped;

    /**
     * Creates the bean; the extension registers it.
     *
     * @param events the event source
     * @param deployment tells which event types have observers
     */
    @Inject
    public LockEvents(Event<LockEvent> events, LockPlans deployment) {
        this.events = events;
        this.acquired = deployment.isObserved(LockAcquired.class);
        this.released = deployment.isObserved(LockReleased.class);
        this.lost = deployment.isObserved(LeaseLost.class);
        this.timedOut = deployment.isObserved(LockWaitTimedOut.class);
        this.skipped = deployment.isObserved(LockSkipped.class);
    }

    void acquired(HeldLock lock, String operation) {
        if (acquired) {
            fire(new LockAcquired(lock.resourceId(), lock.clientId(), lock.fencingToken(), operation));
        }
    }

    /** Whether {@link LockReleased} has observers, so that a deferred release is watched only then (S2). */
    boolean releaseObserved() {
        return released;
    }

    void released(HeldLock lock, String operation) {
        if (released) {
            fire(new LockReleased(lock.resourceId(), lock.clientId(), lock.fencingToken(), operation));
        }
    }

    void leaseLost(HeldLock lock, String operation, LeaseLost.Reason reason) {
        if (lost) {
            fire(new LeaseLost(lock.resourceId(), lock.clientId(), lock.fencingToken(), operation, reason));
        }
    }

    void waitTimedOut(String resourceId, String clientId, Duration timeout, String operation) {
        if (timedOut) {
            fire(new LockWaitTimedOut(resourceId, clientId, timeout, operation));
        }
    }

    void skipped(String resourceId, String clientId, Duration timeout, String operation) {
        if (skipped) {
            fire(new LockSkipped(resourceId, clientId, timeout, operation));
        }
    }

    private void fire(LockEvent event) {
        try {
            events.fire(event);
        } catch (RuntimeException e) {
            DlmMessages.observerFailed(event, e);
        }
    }
}
