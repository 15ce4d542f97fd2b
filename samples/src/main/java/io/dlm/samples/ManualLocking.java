package io.dlm.samples;

import io.dlm.Lease;
import io.dlm.LockManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Locks by hand with the injected {@link LockManager} (D1), for code that needs more control than
 * the annotation gives, and shows why fencing tokens matter (M3).
 */
@ApplicationScoped
public class ManualLocking {

    private final LockManager locks;
    private final Ledger ledger;

    /**
     * Creates the bean.
     *
     * @param locks the application's lock manager
     * @param ledger the fenced resource
     */
    @Inject
    public ManualLocking(LockManager locks, Ledger ledger) {
        this.locks = locks;
        this.ledger = ledger;
    }

    /** For CDI's proxy. */
    protected ManualLocking() {
        this(null, null);
    }

    /**
     * Closes the books once under a lease: try-with-resources releases the lock.
     *
     * @param total the amount to book
     * @return the fencing token used, or -1 if the lock was busy
     */
    public long closeBooks(long total) {
        Optional<Lease> acquired = locks.tryAcquire(
                "ledger-close", "closer-" + UUID.randomUUID(), Duration.ofSeconds(5), Duration.ofSeconds(30));
        if (acquired.isEmpty()) {
            return -1;
        }
        try (Lease lease = acquired.get()) {
            ledger.add("books", lease.fencingToken(), total);
            return lease.fencingToken();
        }
    }

    /**
     * A holder pauses past its lease; a second client takes the lock after the expiry and writes;
     * the first one wakes up and writes with its old token, and the ledger rejects it.
     *
     * @return whether the stale write was rejected
     */
    public boolean staleWriterIsFencedOff() {
        Lease paused = locks.tryAcquire("audit", "paused-client", Duration.ZERO, Duration.ofMillis(300))
                .orElseThrow(() -> new IllegalStateException("audit lock busy"));
        // The second client waits until the first lease expires (E2), then holds the lock.
        try (Lease successor = locks.tryAcquire("audit", "successor", Duration.ofSeconds(30), Duration.ofSeconds(30))
                .orElseThrow(() -> new IllegalStateException("the paused lease never expired"))) {
            ledger.add("audit", successor.fencingToken(), 1);
            // The paused client resumes. Had it checked, isValid() would have told it the lease is gone
            // (K2); it writes anyway, and its old token is what stops the write (M3).
            boolean knewItWasGone = !paused.isValid();
            boolean staleAccepted = ledger.add("audit", paused.fencingToken(), 1_000_000);
            paused.close();
            return knewItWasGone && !staleAccepted && successor.fencingToken() > paused.fencingToken();
        }
    }
}
