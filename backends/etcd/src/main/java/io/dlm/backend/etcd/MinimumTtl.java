package io.dlm.backend.etcd;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * etcd's minimum lease TTL, which a backend declares as its lease granularity (E1).
 *
 * <p>etcd grants no lease shorter than {@code ceil(floor(3 × election ticks / 2) × heartbeat
 * interval)} in whole seconds, about 1.5 election timeouts rounded up: 2 s with its defaults (100
 * ms heartbeats, 1 s elections), 1 s with 500 ms elections. A lease asked for with less silently
 * gets that minimum. If the runtime believed the shorter lease, it would report a lock over while
 * etcd still keeps it, up to a second or more longer (E2). Nothing in etcd's API tells the minimum,
 * and the member's flags are not the client's to read, so the backend asks the way etcd answers:
 * it grants a lease of 1 s, reads the TTL etcd granted, and revokes it. The runtime then rounds every
 * lease up to a multiple of that minimum (E1): on a stock server a 3 s lease becomes 4 s. That wastes
 * up to one minimum per lease, but every lease is then exactly what etcd keeps, with nothing to
 * reconcile later.
 *
 * <p>Cost: two Raft writes (the grant and the revocation) each time a backend opens, never per
 * operation.
 */
final class MinimumTtl {

    /**
     * The minimum of etcd's default timings, assumed when the probe gets no answer. It is what most
     * servers enforce; on a server tuned for shorter elections it only makes leases longer than they
     * need be, which E1 allows. Only a server with elections slower than about 1.33 s enforces more.
     */
    static final Duration ASSUMED = Duration.ofSeconds(2);

    private static final System.Logger LOG = System.getLogger(MinimumTtl.class.getName());

    private MinimumTtl() {}

    /**
     * Asks etcd for its minimum lease TTL: grants a lease of 1 s, reads the TTL granted and
     * revokes the lease. Never fails: opening a backend does not require a reachable cluster (the
     * first operation reports the outage, X1), so without an answer within the budget, {@link
     * #ASSUMED} is returned and a warning says so.
     *
     * <p>In a cluster whose members were started with different timings, the answer is that of the
     * member that served the grant; etcd's leader then counts each lease with its own minimum.
     *
     * @param leases the backend's lease client
     * @param budget how long the probe may take
     * @return the minimum, whole seconds, at least 1 s
     */
    static Duration learn(Lease leases, OperationBudget budget) {
        LeaseGrantResponse grant;
        try {
            grant = budget.await(leases.grant(1), "grant a lease of 1 s to learn its minimum lease TTL");
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "Could not learn etcd''s minimum lease TTL when opening ({0}); assuming {1} s, the minimum of"
                            + " etcd''s default timings, so leases are rounded up to multiples of {1} s. A cluster"
                            + " whose election timeout is above about 1.33 s keeps leases longer than that, and locks"
                            + " then end later than this manager reports: reopen it once etcd is reachable.",
                    e.getMessage(),
                    ASSUMED.toSeconds());
            return ASSUMED;
        }
        try {
            budget.await(leases.revoke(grant.getID()), "revoke the lease that told the minimum lease TTL");
        } catch (RuntimeException e) {
            // It carries no key, and expires by its TTL.
        }
        return Duration.ofSeconds(Math.max(1, grant.getTTL()));
    }
}
