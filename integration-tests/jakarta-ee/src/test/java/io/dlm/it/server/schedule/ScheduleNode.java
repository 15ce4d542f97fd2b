package io.dlm.it.server.schedule;

import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.inject.Inject;

/**
 * Node {@value #NAME}: the job on the server's own calendar, every whole second of its clock, with
 * EJB's {@code @Schedule}.
 */
@Singleton
public class ScheduleNode {

    /** The node's name in the table of runs. */
    public static final String NAME = "schedule";

    @Inject
    ReportJob job;

    @Inject
    Runs runs;

    /** For the container. */
    public ScheduleNode() {}

    @Schedule(second = "*", minute = "*", hour = "*", persistent = false)
    void fire() {
        runs.call(job, Math.floorDiv(System.currentTimeMillis(), 1000), NAME);
    }
}
