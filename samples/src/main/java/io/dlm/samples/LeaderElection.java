package io.dlm.samples;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The workers elect a leader (S3); then the leader stops, and another takes over with a larger
 * fencing token.
 */
@ApplicationScoped
public class LeaderElection {

    private static final String RESOURCE = "sample-leader";
    private static final Duration LEASE = Duration.ofSeconds(2);

    private final LockManager locks;

    /**
     * Creates the election.
     *
     * @param locks the application's lock manager
     */
    @Inject
    public LeaderElection(LockManager locks) {
        this.locks = locks;
    }

    /** For CDI's proxy. */
    protected LeaderElection() {
        this(null);
    }

    /** One term: who led, with which token. */
    record Term(String worker, long fencingToken) {
        @Override
        public String toString() {
            return worker + " (token " + fencingToken + ")";
        }
    }

    /**
     * Lets {@code workers} campaign, stops the first leader, and waits for the next.
     *
     * @param workers how many campaign
     * @return the terms in the order they began; two when the lead moved
     * @throws InterruptedException if interrupted while waiting
     */
    public List<Term> run(int workers) throws InterruptedException {
        List<Term> terms = new CopyOnWriteArrayList<>();
        List<Leadership> campaigns = new ArrayList<>();
        try {
            for (int w = 0; w < workers; w++) {
                String worker = "worker-" + (w + 1);
                campaigns.add(locks.lead(RESOURCE, worker, LEASE, new LeadershipListener() {
                    @Override
                    public void elected(Lease lease) {
                        terms.add(new Term(worker, lease.fencingToken()));
                    }

                    @Override
                    public void revoked(LockException cause) {
                        // The report reads the terms; a real leader would stop its work here.
                    }
                }));
            }
            awaitTerms(terms, 1);
            String first = terms.get(0).worker();
            campaigns.stream()
                    .filter(campaign -> campaign.current()
                            .map(Lease::clientId)
                            .filter(first::equals)
                            .isPresent())
                    .forEach(Leadership::close); // the leader stops; another takes over at once
            awaitTerms(terms, 2);
            // Taken before the others stop: each that resigns hands the lead on once more.
            return List.copyOf(terms);
        } finally {
            campaigns.forEach(Leadership::close);
        }
    }

    private static void awaitTerms(List<Term> terms, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (terms.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
