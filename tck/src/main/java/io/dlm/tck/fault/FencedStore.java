package io.dlm.tck.fault;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A resource that protects itself with fencing tokens, as SPEC M3 tells users to build one: it
 * accepts a write only if its token is at least the largest it has accepted, so a holder that
 * paused past its lease cannot overwrite the work of the holder after it. A holder may write again
 * with its own token.
 *
 * <p>Thread-safe: each resource's ledger is its own monitor, so writers of different resources do
 * not wait for each other.
 */
public final class FencedStore {

    private final ConcurrentHashMap<String, Ledger> ledgers = new ConcurrentHashMap<>();

    /** Creates a store that has accepted nothing. */
    public FencedStore() {}

    /**
     * Writes to a resource with a fencing token.
     *
     * @param resource the resource written
     * @param token the writer's fencing token
     * @return {@code true} if the write was accepted, {@code false} if a larger token wrote before
     */
    public boolean write(String resource, long token) {
        Check.notNull(resource, "resource");
        return ledgers.computeIfAbsent(resource, r -> new Ledger()).write(token);
    }

    /**
     * The tokens of the writes a resource accepted.
     *
     * @param resource the resource
     * @return its accepted tokens in acceptance order, empty if none
     */
    public List<Long> acceptedTokens(String resource) {
        Check.notNull(resource, "resource");
        Ledger ledger = ledgers.get(resource);
        return ledger == null ? List.of() : ledger.accepted();
    }

    /** One resource's accepted writes. */
    private static final class Ledger {

        /** Guarded by this. */
        private final List<Long> accepted = new ArrayList<>();

        synchronized boolean write(long token) {
            // Check and append under one lock: two writers must not both pass the check and then
            // append in the wrong order.
            if (!accepted.isEmpty() && token < accepted.get(accepted.size() - 1)) {
                return false;
            }
            accepted.add(token);
            return true;
        }

        synchronized List<Long> accepted() {
            return List.copyOf(accepted);
        }
    }
}
