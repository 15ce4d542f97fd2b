package io.dlm.tck.jvm;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;

/**
 * A job scheduled in a forked JVM on every whole second of that JVM's own wall clock, guarded as
 * a job on several nodes should be (S1, S2): it takes the lock without waiting, skips the tick
 * when another node holds it, and holds it on after the work for {@code holdAtLeast}, so that a
 * node whose clock is behind, firing the same tick a little later, finds it still held.
 */
final class ScheduledJob {

    /** Far longer than the work and than {@code holdAtLeast}: the lease never runs out while held. */
    private static final Duration LEASE = Duration.ofSeconds(3);

    private ScheduledJob() {}

    /**
     * Fires at the whole seconds {@code firstTick} to {@code firstTick + ticks - 1} of this JVM's
     * wall clock, and returns at the next whole second, when the last run's hold is over.
     *
     * @param manager the manager to lock through
     * @param resource the job's resource
     * @param client this node's client id, to which each tick adds its own number
     * @param holdAtLeast how long each run keeps the lock after acquiring it
     * @param firstTick the first tick, in seconds since the epoch of this JVM's clock
     * @param ticks how many ticks to fire
     * @param journal where each tick's run or skip goes
     */
    static void run(
            LockManager manager,
            String resource,
            String client,
            Duration holdAtLeast,
            long firstTick,
            int ticks,
            TickJournal journal)
            throws InterruptedException {
        for (long tick = firstTick; tick < firstTick + ticks; tick++) {
            sleepUntilWallClock(tick * 1000);
            long firedAt = System.nanoTime();
            long thisTick = tick;
            try {
                manager.withLock(resource, client + "-" + tick, Duration.ZERO, LEASE, holdAtLeast, lease -> {
                    journal.ran(thisTick, firedAt, System.nanoTime());
                    return null;
                });
            } catch (LockException e) {
                if (e.error() != LockError.RESOURCE_LOCKED) {
                    throw e;
                }
                journal.skipped(tick, firedAt);
            }
        }
        // The node runs on until the tick it does not fire: closing the manager sooner would end
        // the last run's hold early, and a node whose clock is behind would run that tick again.
        sleepUntilWallClock((firstTick + ticks) * 1000);
    }

    /**
     * Sleeps until this JVM's wall clock reads {@code epochMillis}. Each tick aims at its own
     * second, so a late wake-up delays one tick and never the ones after it.
     */
    private static void sleepUntilWallClock(long epochMillis) throws InterruptedException {
        for (long left = epochMillis - System.currentTimeMillis();
                left > 0;
                left = epochMillis - System.currentTimeMillis()) {
            Thread.sleep(left);
        }
    }
}
