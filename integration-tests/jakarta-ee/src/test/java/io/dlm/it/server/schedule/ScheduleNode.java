package io.dlm.it.server.schedule;

import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.inject.Inject;

/**
 * Node {@value #NAME}: the job on the server's own calendar, every {@value #PERIOD_MILLIS} ms on the
 * whole second of its clock, with EJB's {@code @Schedule}. Its ticks count periods since the epoch.
 */
@Singleton
public class ScheduleNode {

    /** The node's name in the table of runs. */
    public static final String NAME = "schedule";

    /** The nodes' period: the {@code second = "*}{@code /2"} of the schedule below. */
    public static final long PERIOD_MILLIS = 2_000;

    @Inject
    ReportJob job;

    @Inject
    Runs runs;

    /** For the container. */
    public ScheduleNode() {}

    @Schedule(second = "*/2", minute = "*", hour = "*", persistent = false)
    void fire() {
        runs.call(job, Math.floorDiv(System.currentTimeMillis(), PERIOD_MILLIS), NAME);
    }
}
