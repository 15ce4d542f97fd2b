package io.dlm.impl;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one-thread timer of work that comes now and then: releases held on (S2) and undos tried again
 * (X5). Such work is rare, so the daemon thread goes after 30 s idle and comes back when needed. A
 * cancelled task leaves the queue at once, and tasks still delayed at shutdown are dropped: their
 * owner, closing, does them now or leaves them to expire.
 */
final class OccasionalTimer {

    private OccasionalTimer() {}

    /**
     * A new timer; its thread starts with the first task.
     *
     * @param threadName the name of its thread
     * @return the timer, which its owner shuts down on close
     */
    static ScheduledThreadPoolExecutor create(String threadName) {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer.setKeepAliveTime(30, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        return timer;
    }
}
