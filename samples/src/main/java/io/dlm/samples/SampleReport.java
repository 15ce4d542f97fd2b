package io.dlm.samples;

import java.io.PrintStream;
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
        long millis) {

    /**
     * Tells whether the run proves mutual exclusion: every job once, no job twice, stale write fenced.
     *
     * @return {@code true} if the run is clean
     */
    public boolean clean() {
        return doubleProcessed == 0 && processed == jobs && staleWriterFenced && leasesLost == 0;
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
        out.println(clean() ? "RESULT: OK, no job was processed twice" : "RESULT: FAILED");
    }
}
