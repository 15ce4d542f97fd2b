package io.dlm.it.server.schedule;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.WhenLocked;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.temporal.ChronoUnit;

/**
 * The job both applications call on every tick (S1, S2): the one that gets the lock runs it and
 * holds the lock {@value #HOLD_MILLIS} ms, the other skips.
 */
@ApplicationScoped
public class ReportJob {

    /**
     * The lock's minimum hold: halfway between the nodes' offset (500 ms) and the period (2 s), so a
     * firing up to 750 ms late neither runs a tick twice nor leaves the next tick to nobody.
     */
    public static final long HOLD_MILLIS = 1_250;

    /** For the container's client proxy. */
    public ReportJob() {}

    /**
     * Runs the job.
     *
     * @return {@code true}; {@code false} when the lock was taken and the call skipped (S1)
     */
    @DistributedLock(
            resource = "server-scheduled-report",
            whenLocked = WhenLocked.SKIP,
            holdAtLeast = HOLD_MILLIS,
            unit = ChronoUnit.MILLIS)
    public boolean run() {
        return true;
    }
}
