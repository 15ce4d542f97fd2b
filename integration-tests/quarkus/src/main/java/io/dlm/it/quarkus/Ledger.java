package io.dlm.it.quarkus;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LockContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** A bean with locked methods, as an application on Quarkus writes it. */
@ApplicationScoped
public class Ledger {

    @Inject
    LockContext lock;

    @Inject
    LockManager manager;

    private long balance;

    /** For ArC's client proxy. */
    public Ledger() {}

    /**
     * Adds to the balance with a deliberately non-atomic read and write, which only the lock keeps
     * right under concurrent callers (D2).
     *
     * @param account the account, which names the lock
     * @param amount what to add
     */
    @DistributedLock(resource = "ledger-{account}", timeout = 1, unit = ChronoUnit.MINUTES)
    public void credit(String account, long amount) {
        long read = balance;
        Thread.yield();
        balance = read + amount;
    }

    /**
     * The balance.
     *
     * @return what {@link #credit} added up to
     */
    public long balance() {
        return balance;
    }

    /**
     * The lock this call runs under: its resource comes from the parameter (D2).
     *
     * @param account the account
     * @return the held lock
     */
    @DistributedLock(resource = "statement-{account}")
    public HeldLock statement(String account) {
        return lock.current().orElseThrow();
    }

    /**
     * The lock this call runs under: {@code application.properties} overrides its resource (D6).
     *
     * @param account the account
     * @return the held lock
     */
    @DistributedLock(resource = "from-annotation-{account}")
    public HeldLock configured(String account) {
        return lock.current().orElseThrow();
    }

    /**
     * Closes the books once per minute at most: {@code application.properties} makes it skip when
     * locked (S1) and hold its lock a minute (S2), as a scheduled job on several nodes would (D6).
     *
     * @param account the account
     * @return "closed" when it ran, empty when skipped
     */
    @DistributedLock(resource = "close-{account}")
    public Optional<String> close(String account) {
        return Optional.of("closed");
    }

    /**
     * Releases its own lock while it runs, so the final release finds the lease gone (D4).
     *
     * @param account the account
     */
    @DistributedLock(resource = "lost-{account}")
    public void loseLease(String account) {
        HeldLock held = lock.current().orElseThrow();
        manager.unlock(held.resourceId(), held.clientId());
    }
}
