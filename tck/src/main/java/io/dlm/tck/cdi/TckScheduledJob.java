package io.dlm.tck.cdi;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.WhenLocked;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A job that every node calls on its own schedule and that runs on one of them per tick (S1, S2):
 * a node that finds the lock taken skips, and the lock is held {@value #HOLD_MILLIS} ms after each
 * run, longer than the nodes' schedules differ, shorter than the period.
 */
@ApplicationScoped
public class TckScheduledJob {

    /**
     * How long the lock is held at least after each acquisition, in milliseconds (S2): halfway
     * between the nodes' offset (500 ms) and the period (2 s), so that a firing late by up to 750 ms
     * neither runs a tick twice nor, after the late node ran one, finds its own hold still on at the
     * next tick and leaves that tick to nobody.
     */
    public static final long HOLD_MILLIS = 1_250;

    /** The lease, a few periods long; the runtime keeps it alive while held (K1). */
    public static final long LEASE_MILLIS = 6_000;

    /** For CDI's proxies. */
    public TckScheduledJob() {}

    /**
     * Runs the job's body, unless another node holds the lock.
     *
     * @param jobId names the job's lock, one per test run
     * @param body what the job does
     */
    @DistributedLock(
            resource = "tck-job-{jobId}",
            whenLocked = WhenLocked.SKIP,
            holdAtLeast = HOLD_MILLIS,
            lease = LEASE_MILLIS)
    public void run(String jobId, Runnable body) {
        body.run();
    }
}
