package io.dlm.it.server.schedule;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timeout;
import jakarta.ejb.TimerConfig;
import jakarta.ejb.TimerService;
import jakarta.inject.Inject;
import java.util.Date;

/**
 * Node {@value #NAME}: the job every {@value ScheduleNode#PERIOD_MILLIS} ms from a programmatic EJB
 * timer that fires {@value #LAG_MILLIS} ms after each of node {@value ScheduleNode#NAME}'s firings, as
 * on a server whose clock is that much behind; its ticks count periods of that clock. ({@code @Schedule} fires on whole seconds only, so it
 * cannot lag by less than one.)
 */
@Singleton
@Startup
public class LateTimerNode {

    /** The node's name in the table of runs. */
    public static final String NAME = "late-timer";

    /** How far this node's clock lags the server's. */
    public static final long LAG_MILLIS = 500;

    @Resource
    TimerService timers;

    @Inject
    ReportJob job;

    @Inject
    Runs runs;

    /** For the container. */
    public LateTimerNode() {}

    @PostConstruct
    void start() {
        long period = ScheduleNode.PERIOD_MILLIS;
        long first = (Math.floorDiv(System.currentTimeMillis(), period) + 1) * period + LAG_MILLIS;
        timers.createIntervalTimer(new Date(first), period, new TimerConfig(null, false));
    }

    @Timeout
    void fire() {
        runs.call(job, Math.floorDiv(System.currentTimeMillis() - LAG_MILLIS, ScheduleNode.PERIOD_MILLIS), NAME);
    }
}
