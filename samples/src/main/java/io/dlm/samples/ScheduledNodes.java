package io.dlm.samples;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays several nodes that each schedule the same job at a fixed rate, their schedules a little
 * apart, as a cluster's nodes would with their own schedulers and clocks.
 */
@ApplicationScoped
public class ScheduledNodes {

    /** The job's period. */
    static final long PERIOD_MILLIS = 1_000;

    /** How far apart the nodes' schedules start: three nodes span 200 ms, less than the job's hold. */
    static final long SPREAD_MILLIS = 100;

    private final ScheduledReport job;

    /**
     * Creates the nodes.
     *
     * @param job the scheduled job
     */
    @Inject
    public ScheduledNodes(ScheduledReport job) {
        this.job = job;
    }

    /** For CDI's proxy. */
    protected ScheduledNodes() {
        this(null);
    }

    /**
     * Runs {@code firings} firings on each of {@code nodes} nodes and waits until all are done.
     *
     * @param nodes how many nodes
     * @param firings how many times each fires
     * @return how many firings were skipped, across all nodes
     * @throws InterruptedException if interrupted while waiting
     */
    public int run(int nodes, int firings) throws InterruptedException {
        List<ScheduledExecutorService> schedulers = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(nodes * firings);
        AtomicInteger skipped = new AtomicInteger();
        try {
            for (int n = 0; n < nodes; n++) {
                String node = "node-" + (n + 1);
                AtomicInteger next = new AtomicInteger();
                ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
                schedulers.add(scheduler);
                scheduler.scheduleAtFixedRate(
                        () -> {
                            int firing = next.getAndIncrement();
                            if (firing >= firings) {
                                return;
                            }
                            try {
                                if (!job.build(node, firing)) {
                                    skipped.incrementAndGet();
                                }
                            } finally {
                                done.countDown();
                            }
                        },
                        n * SPREAD_MILLIS,
                        PERIOD_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
            if (!done.await(firings * PERIOD_MILLIS + 30_000, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the scheduled nodes did not finish");
            }
        } finally {
            schedulers.forEach(ScheduledExecutorService::shutdownNow);
        }
        return skipped.get();
    }
}
