package io.dlm.it.quarkus;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.WhenLocked;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A job that every node calls on every tick and that must run on one of them per tick (S1, S2):
 * the node that gets the lock runs it and holds the lock {@value #HOLD_MILLIS} ms, the others skip.
 */
@ApplicationScoped
public class ScheduledReport {

    /**
     * The lock's minimum hold: halfway between the nodes' skew (500 ms) and the period (4 s) less
     * the second by which Quarkus's scheduler may fire late from one tick to the next, so that a
     * call delayed 1.25 s more neither runs a tick twice nor leaves the next tick to nobody.
     */
    public static final long HOLD_MILLIS = 1_750;

    /** The job's lock. */
    public static final String RESOURCE = "quarkus-scheduled-report";

    private final Map<Long, List<String>> runs = new ConcurrentHashMap<>();

    /** For ArC's client proxy. */
    public ScheduledReport() {}

    /**
     * Runs the job for one tick: notes which node ran it.
     *
     * @param tick the scheduler's firing, in epoch seconds
     * @param node the node that ran it
     */
    @DistributedLock(resource = RESOURCE, whenLocked = WhenLocked.SKIP, holdAtLeast = HOLD_MILLIS)
    public void run(long tick, String node) {
        runs.computeIfAbsent(tick, t -> new CopyOnWriteArrayList<>()).add(node);
    }

    /**
     * The nodes that ran the job, by tick.
     *
     * @return a copy, in no order
     */
    public Map<Long, List<String>> runs() {
        return Map.copyOf(runs);
    }
}
