package io.dlm.samples;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/** The shared job list, standing in for a table of pending work, and how often each job ran. */
@ApplicationScoped
public class JobBoard {

    private volatile List<Job> jobs = List.of();
    private final Map<Integer, String> doneBy = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> runs = new ConcurrentHashMap<>();

    /** For CDI. */
    public JobBoard() {}

    /**
     * Posts a fresh set of jobs.
     *
     * @param count how many
     */
    public void post(int count) {
        jobs = IntStream.rangeClosed(1, count)
                .mapToObj(i -> new Job(i, i * 10L))
                .toList();
        doneBy.clear();
        runs.clear();
    }

    /**
     * The posted jobs.
     *
     * @return every job, done or not
     */
    public List<Job> jobs() {
        return jobs;
    }

    /**
     * Tells whether a job was processed.
     *
     * @param job the job
     * @return whether some worker finished it
     */
    public boolean isDone(Job job) {
        return doneBy.containsKey(job.id());
    }

    /**
     * Records that a worker processed a job; counts every run, so a double run shows.
     *
     * @param job the job
     * @param worker who processed it
     */
    public void markDone(Job job, String worker) {
        runs.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
        doneBy.put(job.id(), worker);
    }

    /**
     * How many times each job was processed.
     *
     * @return job id to run count
     */
    public Map<Integer, Integer> runCounts() {
        Map<Integer, Integer> counts = new java.util.TreeMap<>();
        runs.forEach((id, count) -> counts.put(id, count.get()));
        return counts;
    }

    /**
     * Which worker processed each job.
     *
     * @return job id to worker name
     */
    public Map<Integer, String> doneBy() {
        return Map.copyOf(doneBy);
    }
}
