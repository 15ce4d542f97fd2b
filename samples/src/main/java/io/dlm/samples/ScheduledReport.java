package io.dlm.samples;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.WhenLocked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;

/**
 * A job every node of a cluster schedules, that must run once per firing (S1, S2): the node that
 * gets the lock runs it, the others skip at once, and the lock is held at least {@value
 * #HOLD_MILLIS} ms, so a node that fires a little later skips too.
 */
@ApplicationScoped
public class ScheduledReport {

    /**
     * Halfway between the spread of the nodes' schedules (200 ms) and the period (1 s): a firing late
     * by up to 400 ms neither runs twice nor, after the last node ran it, finds that node's hold
     * still on at the next firing.
     */
    static final long HOLD_MILLIS = 600;

    private final FiringLog log;

    /**
     * Creates the job.
     *
     * @param log where runs are written down
     */
    @Inject
    public ScheduledReport(FiringLog log) {
        this.log = log;
    }

    /** For CDI's proxy. */
    protected ScheduledReport() {
        this(null);
    }

    /**
     * Builds the report for one firing, unless another node holds the lock (then returns {@code
     * false} without running: the empty value of {@code boolean}, S1).
     *
     * @param node the node that fired
     * @param firing the firing's number, the same on every node
     * @return {@code true} when this node ran it
     */
    @DistributedLock(
            resource = "sample-scheduled-report",
            whenLocked = WhenLocked.SKIP,
            holdAtLeast = HOLD_MILLIS,
            lease = 2_000,
            unit = ChronoUnit.MILLIS)
    public boolean build(String node, int firing) {
        log.ran(firing, node);
        return true;
    }
}
