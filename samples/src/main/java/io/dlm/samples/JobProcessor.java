package io.dlm.samples;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LockContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Processes one job under the job's lock. With {@code timeout = 0} a worker that finds the job
 * locked does not wait: the job is someone else's, and the call fails with {@code RESOURCE_LOCKED}.
 */
@ApplicationScoped
public class JobProcessor {

    private final JobBoard board;
    private final Ledger ledger;
    private final LockContext lock;

    /**
     * Creates the processor.
     *
     * @param board the job list
     * @param ledger the fenced resource
     * @param lock the current lock, for its fencing token
     */
    @Inject
    public JobProcessor(JobBoard board, Ledger ledger, LockContext lock) {
        this.board = board;
        this.ledger = ledger;
        this.lock = lock;
    }

    /** For CDI's proxy. */
    protected JobProcessor() {
        this(null, null, null);
    }

    /**
     * Processes the job unless it is done: the check and the work both run under the job's lock.
     *
     * @param job the job, whose {@code id()} names the lock
     * @param worker the worker's name
     * @return {@code true} if this call processed the job
     */
    @DistributedLock(resource = "job-{job.id}")
    public boolean process(Job job, String worker) {
        if (board.isDone(job)) {
            return false;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // the work itself
        ledger.add("job-" + job.id(), lock.fencingToken(), job.amount());
        board.markDone(job, worker);
        return true;
    }
}
