package io.dlm.samples;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * What a run of the sample did.
 *
 * @param backend the backend name
 * @param jobs jobs posted
 * @param workers workers that competed
 * @param processed jobs processed at least once
 * @param doubleProcessed jobs processed more than once; must be 0
 * @param acquired locks acquired (events)
 * @param released locks released (events)
 * @param contended calls that found a job locked and moved on (wait timed out)
 * @param leasesLost leases lost (events)
 * @param minToken lowest fencing token seen
 * @param maxToken highest fencing token seen
 * @param ledgerAccepted ledger writes that passed the fence
 * @param ledgerRejected ledger writes rejected for a stale token
 * @param staleWriterFenced whether the paused holder's write was rejected
 * @param perWorker jobs processed per worker
 * @param scheduled what the scheduled job did (S1, S2)
 * @param leaders the leaders, in order (S3)
 * @param leadershipMoved whether the lead moved to another worker, with a larger token, when the
 *     leader stopped
 * @param millis how long the run took
 */
public record SampleReport(
        String backend,
        int jobs,
        int workers,
        int processed,
        int doubleProcessed,
        long acquired,
        long released,
        long contended,
        long leasesLost,
        long minToken,
        long maxToken,
        long ledgerAccepted,
        long ledgerRejected,
        boolean staleWriterFenced,
        Map<String, Long> perWorker,
        Scheduled scheduled,
        List<String> leaders,
        boolean leadershipMoved,
        long millis) {

    /**
     * What the scheduled job did.
     *
     * @param nodes nodes that scheduled it
     * @param firings firings per node
     * @param runsPerFiring how many nodes ran each firing; each must be 1
     * @param skipped firings a node skipped because another held the lock
     * @param runsPerNode firings each node ran
     */
    public record Scheduled(int nodes, int firings, int[] runsPerFiring, int skipped, Map<String, Long> runsPerNode) {

        /**
         * Tells whether every firing ran exactly once across the nodes.
         *
         * @return {@code true} if so
         */
        public boolean eachFiringRanOnce() {
            return java.util.Arrays.stream(runsPerFiring).allMatch(runs -> runs == 1);
        }
    }

    /**
     * Tells whether the run proves mutual exclusion: every job once, no job twice, stale write fenced.
     *
     * @return {@code true} if the run is clean
     */
    public boolean clean() {
        return doubleProcessed == 0
                && processed == jobs
                && staleWriterFenced
                && leasesLost == 0
                && scheduled.eachFiringRanOnce()
                && leadershipMoved;
    }

    /**
     * Prints the report.
     *
     * @param out where to
     */
    public void print(PrintStream out) {
        out.printf("DLM sample on backend '%s': %d jobs, %d workers, %d ms%n", backend, jobs, workers, millis);
        out.printf("  jobs processed ........ %d of %d%n", processed, jobs);
        out.printf("  processed twice ....... %d%n", doubleProcessed);
        out.printf("  per worker ............ %s%n", perWorker);
        out.printf("  locks acquired ........ %d (released %d, lost %d)%n", acquired, released, leasesLost);
        out.printf("  contention ............ %d calls found the job locked and moved on%n", contended);
        out.printf("  fencing tokens ........ %d .. %d%n", minToken, maxToken);
        out.printf("  ledger writes ......... %d accepted, %d rejected as stale%n", ledgerAccepted, ledgerRejected);
        out.printf("  stale writer fenced ... %s%n", staleWriterFenced);
        out.printf(
                "  scheduled job ......... %d nodes x %d firings: runs per firing %s, %d skipped, by node %s%n",
                scheduled.nodes(),
                scheduled.firings(),
                java.util.Arrays.toString(scheduled.runsPerFiring()),
                scheduled.skipped(),
                scheduled.runsPerNode());
        out.printf(
                "  leaders ............... %s%s%n",
                String.join(" -> ", leaders), leadershipMoved ? "" : " (did not move)");
        out.println(
                clean()
                        ? "RESULT: OK, no job was processed twice, each firing ran once, the lead moved"
                        : "RESULT: FAILED");
    }
}
