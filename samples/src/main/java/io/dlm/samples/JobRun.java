package io.dlm.samples;

import io.dlm.LockError;
import io.dlm.LockException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Lets several workers compete for the same jobs and reports what happened. */
@ApplicationScoped
public class JobRun {

    @Inject
    JobBoard board;

    @Inject
    JobProcessor processor;

    @Inject
    ManualLocking manual;

    @Inject
    Ledger ledger;

    @Inject
    LockStats stats;

    @Inject
    ScheduledNodes scheduledNodes;

    @Inject
    FiringLog firings;

    @Inject
    LeaderElection election;

    @Inject
    io.dlm.LockManager locks;

    /** Nodes that schedule the job, and how often each fires it. */
    static final int NODES = 3;

    static final int FIRINGS = 10;

    /** For CDI. */
    public JobRun() {}

    /**
     * Posts the jobs, runs the workers to the end, then the manual-locking steps.
     *
     * @param backend the backend name, for the report
     * @param jobs how many jobs
     * @param workers how many competing workers
     * @return the report
     * @throws Exception if a worker failed unexpectedly
     */
    public SampleReport run(String backend, int jobs, int workers) throws Exception {
        long start = System.nanoTime();
        board.post(jobs);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        Map<String, Long> perWorker = new TreeMap<>();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> results = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                String name = "worker-" + (w + 1);
                int offset = w * jobs / workers;
                results.add(pool.submit(() -> {
                    go.await();
                    return work(name, offset);
                }));
            }
            go.countDown();
            for (int w = 0; w < workers; w++) {
                perWorker.put("worker-" + (w + 1), results.get(w).get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        long booked = board.jobs().stream()
                .mapToLong(job -> ledger.total("job-" + job.id()))
                .sum();
        manual.closeBooks(booked);
        boolean fenced = manual.staleWriterIsFencedOff();

        int skipped = scheduledNodes.run(NODES, FIRINGS);
        int[] runsPerFiring = firings.runsPerFiring(FIRINGS);
        List<LeaderElection.Term> terms = election.run(workers);
        awaitLastHoldReleased();

        Map<Integer, Integer> runs = board.runCounts();
        long[] counts = stats.snapshot();
        return new SampleReport(
                backend,
                jobs,
                workers,
                runs.size(),
                (int) runs.values().stream().filter(n -> n > 1).count(),
                counts[0],
                counts[1],
                counts[2],
                counts[3],
                counts[4],
                counts[5],
                ledger.accepted(),
                ledger.rejected(),
                fenced,
                perWorker,
                new SampleReport.Scheduled(NODES, FIRINGS, runsPerFiring, skipped, firings.runsPerNode()),
                terms.stream().map(LeaderElection.Term::toString).toList(),
                terms.size() >= 2
                        && !terms.get(0).worker().equals(terms.get(1).worker())
                        && terms.get(1).fencingToken() > terms.get(0).fencingToken(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /** The job's last run holds its lock on for a moment (S2); the counts wait for its release. */
    private void awaitLastHoldReleased() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (locks.inspect("sample-scheduled-report").isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        // The release event follows the release itself.
        while (stats.snapshot()[0] != stats.snapshot()[1] && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** One worker: walks all jobs from its own starting point and processes those it can lock. */
    private long work(String name, int offset) {
        List<Job> jobs = board.jobs();
        long done = 0;
        // Two passes: jobs skipped as locked in the first pass may be free (and done) by the second.
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get((offset + i) % jobs.size());
                if (board.isDone(job)) {
                    continue;
                }
                try {
                    if (processor.process(job, name)) {
                        done++;
                    }
                } catch (LockException e) {
                    if (e.error() != LockError.RESOURCE_LOCKED) {
                        throw e;
                    }
                }
            }
        }
        return done;
    }
}
