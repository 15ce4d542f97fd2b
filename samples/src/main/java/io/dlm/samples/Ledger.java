package io.dlm.samples;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The resource the locks protect, behaving like a table updated with {@code UPDATE ledger SET
 * total = total + ?, fence = ? WHERE account = ? AND fence < ?}: a write carrying a fencing token
 * not above the last accepted one is rejected, so a holder that paused past its lease cannot
 * overwrite its successor's work (M3).
 */
@ApplicationScoped
public class Ledger {

    private final Map<String, Long> fences = new HashMap<>();
    private final Map<String, Long> totals = new HashMap<>();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    /** For CDI. */
    public Ledger() {}

    /**
     * Adds an amount to an account if the token is newer than the account's last one.
     *
     * @param account the row
     * @param fencingToken the writer's token (F1)
     * @param amount what to add
     * @return {@code true} if written, {@code false} if the token was stale
     */
    public synchronized boolean add(String account, long fencingToken, long amount) {
        long fence = fences.getOrDefault(account, Long.MIN_VALUE);
        if (fencingToken <= fence) {
            rejected.incrementAndGet();
            return false;
        }
        fences.put(account, fencingToken);
        totals.merge(account, amount, Long::sum);
        accepted.incrementAndGet();
        return true;
    }

    /**
     * An account's total.
     *
     * @param account the row
     * @return its sum, 0 when never written
     */
    public synchronized long total(String account) {
        return totals.getOrDefault(account, 0L);
    }

    /**
     * Writes that passed the fence.
     *
     * @return the count
     */
    public long accepted() {
        return accepted.get();
    }

    /**
     * Writes rejected for a stale token.
     *
     * @return the count
     */
    public long rejected() {
        return rejected.get();
    }
}
