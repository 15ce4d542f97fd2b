package io.dlm.backend.jdbc;

import io.dlm.LockException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deletes the rows of resources that have been free for longer than {@code dlm.jdbc.retention}
 * (E4), on one thread per backend ({@code dlm-jdbc-reaper-N}). A lease is free the moment it
 * expires, whether or not its row is still there (E2); the reaper only keeps the table small. It
 * walks the index on {@code reap_from}, so a run costs in proportion to the rows it deletes, plus
 * the rows held (or used again) for longer than the retention, whose mark it moves ahead about
 * once per retention (see {@link Dialect}). Several managers reaping one table at once are
 * harmless: each row is deleted once, and rows another run has locked are skipped.
 */
final class Reaper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Reaper.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** Batches per run at most, so one run never occupies a connection for long. */
    private static final int MAX_BATCHES = 20;

    private final SqlExecutor sql;
    private final Dialect dialect;
    private final long retentionMicros;
    private final Duration closeTimeout;
    private final ScheduledExecutorService scheduler;

    Reaper(SqlExecutor sql, Dialect dialect, Duration retention, Duration interval, Duration closeTimeout) {
        this.sql = sql;
        this.dialect = dialect;
        this.retentionMicros = retention.toNanos() / 1_000;
        this.closeTimeout = closeTimeout;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "dlm-jdbc-reaper-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(1, interval.toMillis());
        // Managers started together should not all reap at the same moment.
        long firstDelay = period / 2 + ThreadLocalRandom.current().nextLong(period / 2 + 1);
        scheduler.scheduleWithFixedDelay(this::reapSafely, firstDelay, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Deletes rows kept long enough, batch by batch.
     *
     * @return how many rows were deleted
     * @throws LockException when the database fails
     */
    int reapOnce() {
        int total = 0;
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            Dialect.Reaped run =
                    sql.execute("reap", dialect.table().name(), (c, t) -> dialect.reap(c, retentionMicros, t));
            total += run.deleted();
            if (!run.full()) {
                break;
            }
        }
        return total;
    }

    private void reapSafely() {
        try {
            int deleted = reapOnce();
            if (deleted > 0) {
                LOG.log(
                        Level.DEBUG,
                        "Deleted {0} free rows from {1}",
                        deleted,
                        dialect.table().name());
            }
        } catch (LockException e) {
            // The next run tries again; a database that stays down shows in the lock calls themselves.
            LOG.log(Level.DEBUG, "Reaping " + dialect.table().name() + " failed", e);
        }
    }

    /** Stops the thread, waiting for a run in progress within the close timeout. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
