package io.dlm.tck.jvm;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A campaigner in a forked JVM (S3): it campaigns with {@link LockManager#lead} and, while it
 * leads, does the leader's work in small steps, each after asking {@link Leadership#current()} as
 * an application should, and writes every election, revocation and step to its {@link
 * LeaderJournal}. Runs until the JVM is killed.
 */
final class ActingLeader implements LeadershipListener {

    /** How often the leader works: often enough that a step taken out of turn shows soon. */
    private static final long STEP_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

    /** How long one step works: long enough that two leaders' steps could overlap in time. */
    private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(3);

    private final LeaderJournal journal;
    /** The token of the current leadership, for the revocation's line; written by the campaign thread. */
    private volatile long token;

    private ActingLeader(LeaderJournal journal) {
        this.journal = journal;
    }

    /**
     * Campaigns for {@code resource} and works while leading, until the JVM ends.
     *
     * @param manager the manager to campaign through
     * @param resource the resource whose lock makes the leader
     * @param client this campaigner's client id
     * @param lease the lease to campaign with
     * @param journal where elections, revocations and steps go
     */
    static void run(LockManager manager, String resource, String client, Duration lease, LeaderJournal journal) {
        ActingLeader leader = new ActingLeader(journal);
        Leadership leadership = manager.lead(resource, client, lease, leader);
        System.out.println("CAMPAIGNING");
        System.out.flush();
        for (; ; ) {
            leader.step(leadership);
            LockSupport.parkNanos(STEP_PERIOD_NANOS);
        }
    }

    /** One step of the leader's work, done only with a lease that is valid when it starts (K2). */
    private void step(Leadership leadership) {
        long checkedAt = System.nanoTime();
        Optional<Lease> lease = leadership.current();
        if (lease.isEmpty()) {
            return;
        }
        long validFrom = System.nanoTime();
        LockSupport.parkNanos(STEP_NANOS); // the work itself
        long validTo = System.nanoTime();
        boolean validAfter = lease.get().isValid();
        journal.act(lease.get().fencingToken(), checkedAt, validFrom, validTo, validAfter);
    }

    @Override
    public void elected(Lease lease) {
        token = lease.fencingToken();
        long at = System.nanoTime();
        journal.elected(token, at);
        System.out.println("ELECTED " + token + " " + at);
        System.out.flush();
    }

    @Override
    public void revoked(LockException cause) {
        long at = System.nanoTime();
        journal.revoked(token, at);
        System.out.println("REVOKED " + token + " " + at + " " + cause.getMessage());
        System.out.flush();
    }
}
